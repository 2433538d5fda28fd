package jrunc.core.manager;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Protobuf wire bytes written by hand, field by field, so tests decode what containerd would send without
 * trusting our own generated encoders to agree with our generated decoders.
 */
final class Wire {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Wire string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    Wire bytes(int field, byte[] value) {
        varint((long) field << 3 | 2);
        varint(value.length);
        out.writeBytes(value);
        return this;
    }

    Wire message(int field, Wire value) {
        return bytes(field, value.build());
    }

    /** A varint field; an int32 enum below zero takes ten bytes, as Go's encoder writes it. */
    Wire varintField(int field, long value) {
        varint((long) field << 3);
        varint(value);
        return this;
    }

    Wire bool(int field, boolean value) {
        return varintField(field, value ? 1 : 0);
    }

    byte[] build() {
        return out.toByteArray();
    }

    private void varint(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    /** An Any (type_url=1, value=2). */
    static byte[] any(String typeUrl, byte[] value) {
        return new Wire().string(1, typeUrl).bytes(2, value).build();
    }
}
