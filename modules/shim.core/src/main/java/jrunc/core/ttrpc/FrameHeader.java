package jrunc.core.ttrpc;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 10-byte header in front of every ttrpc message: data length and stream id (both unsigned 32-bit,
 * big-endian), message type, flags. Mirrors {@code messageHeader} in ttrpc's {@code channel.go} (v1.1.1, v1.2.x).
 *
 * <p>The length is a {@code long} because the wire field is unsigned: a peer may announce up to 4 GiB, and we must
 * be able to say how much we discarded without the value turning negative.
 *
 * @param length   bytes of data after the header, 0 to 2<sup>32</sup>-1
 * @param streamId odd for calls started by the client; the Response travels on its Request's id
 * @param type     {@link #TYPE_REQUEST}, {@link #TYPE_RESPONSE} or {@link #TYPE_DATA}
 * @param flags    per type; 0 for every unary call
 */
public record FrameHeader(long length, int streamId, byte type, byte flags) {
    /** Bytes on the wire before the data. */
    public static final int SIZE = 10;
    /** The largest data length any ttrpc version accepts (4 MiB); a longer frame is discarded by its receiver. */
    public static final int MAX_MESSAGE_LENGTH = 4 << 20;

    public static final byte TYPE_REQUEST = 0x01;
    public static final byte TYPE_RESPONSE = 0x02;
    /** Streaming data, ttrpc v1.2 and later only; a unary peer ignores it. */
    public static final byte TYPE_DATA = 0x03;

    /** Request or Data: the sender will send no more data on this stream (v1.2 streaming). */
    public static final byte FLAG_REMOTE_CLOSED = 0x01;
    /** Request: a streaming call whose client will send Data frames (v1.2 streaming). */
    public static final byte FLAG_REMOTE_OPEN = 0x02;
    /** Data: the frame carries no payload (v1.2 streaming). */
    public static final byte FLAG_NO_DATA = 0x04;

    private static final long MAX_WIRE_LENGTH = 0xFFFF_FFFFL;

    public FrameHeader {
        if (length < 0 || length > MAX_WIRE_LENGTH) {
            throw new IllegalArgumentException("length : " + length + " (expected: 0 to " + MAX_WIRE_LENGTH + ")");
        }
    }

    /** A unary Request or Response header: flags are always 0 for those. */
    public static FrameHeader of(long length, int streamId, byte type) {
        return new FrameHeader(length, streamId, type, (byte) 0);
    }

    /** Reads one header from the next {@link #SIZE} bytes of a big-endian {@code buffer} (ByteBuffer's default). */
    public static FrameHeader readFrom(ByteBuffer buffer) {
        requireBigEndian(buffer);
        long length = Integer.toUnsignedLong(buffer.getInt());
        int streamId = buffer.getInt();
        byte type = buffer.get();
        byte flags = buffer.get();
        return new FrameHeader(length, streamId, type, flags);
    }

    /** Writes this header as the next {@link #SIZE} bytes of a big-endian {@code buffer}. */
    public void writeTo(ByteBuffer buffer) {
        requireBigEndian(buffer);
        buffer.putInt((int) length).putInt(streamId).put(type).put(flags);
    }

    /** Whether the data behind this header is too long to be read (it must be discarded). */
    public boolean isOversized() {
        return length > MAX_MESSAGE_LENGTH;
    }

    private static void requireBigEndian(ByteBuffer buffer) {
        if (buffer.order() != ByteOrder.BIG_ENDIAN) throw new IllegalArgumentException("ttrpc headers are big-endian");
    }

    @Override
    public String toString() {
        return "FrameHeader[length=" + length + ", streamId=" + Integer.toUnsignedString(streamId)
                + ", type=" + type + ", flags=" + flags + "]";
    }
}
