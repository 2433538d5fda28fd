package jrunc.core.ttrpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FrameCodecTest {

    static Stream<FrameHeader> headers() {
        return Stream.of(
                FrameHeader.of(0, 1, FrameHeader.TYPE_REQUEST),
                FrameHeader.of(FrameHeader.MAX_MESSAGE_LENGTH, 3, FrameHeader.TYPE_RESPONSE),
                new FrameHeader(0xFFFF_FFFFL, 0xFFFF_FFFF, FrameHeader.TYPE_DATA,
                        (byte) (FrameHeader.FLAG_REMOTE_CLOSED | FrameHeader.FLAG_NO_DATA)),
                new FrameHeader(42, 0x8000_0001, (byte) 0x7f, FrameHeader.FLAG_REMOTE_OPEN));
    }

    @ParameterizedTest
    @MethodSource("headers")
    void headerRoundTrips(FrameHeader header) {
        ByteBuffer buffer = ByteBuffer.allocate(FrameHeader.SIZE);
        header.writeTo(buffer);
        assertEquals(FrameHeader.SIZE, buffer.position());
        assertEquals(header, FrameHeader.readFrom(buffer.flip()));
    }

    @Test
    void headerIsBigEndianLengthThenStreamThenTypeThenFlags() {
        ByteBuffer buffer = ByteBuffer.allocate(FrameHeader.SIZE);
        new FrameHeader(0x0102_0304L, 0x0506_0708, FrameHeader.TYPE_RESPONSE, FrameHeader.FLAG_NO_DATA).writeTo(buffer);
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 2, 4}, buffer.array());
    }

    @Test
    void littleEndianBuffersAreRefused() {
        ByteBuffer buffer = ByteBuffer.allocate(FrameHeader.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        assertThrows(IllegalArgumentException.class, () -> FrameHeader.of(1, 1, FrameHeader.TYPE_REQUEST).writeTo(buffer));
    }

    @Test
    void lengthOutsideTheUnsignedWireFieldIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> FrameHeader.of(-1, 1, FrameHeader.TYPE_REQUEST));
        assertThrows(IllegalArgumentException.class, () -> FrameHeader.of(1L << 32, 1, FrameHeader.TYPE_REQUEST));
    }

    @Test
    void writtenFramesReadBackInOrder() throws IOException {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(Channels.newChannel(wire));
        writer.write(1, FrameHeader.TYPE_REQUEST, "first".getBytes());
        writer.write(3, FrameHeader.TYPE_REQUEST, new byte[0]);

        FrameReader reader = reader(wire.toByteArray());
        FrameReader.Frame first = assertInstanceOf(FrameReader.Frame.class, reader.read());
        assertEquals(FrameHeader.of(5, 1, FrameHeader.TYPE_REQUEST), first.header());
        assertArrayEquals("first".getBytes(), first.payload());
        FrameReader.Frame second = assertInstanceOf(FrameReader.Frame.class, reader.read());
        assertEquals(FrameHeader.of(0, 3, FrameHeader.TYPE_REQUEST), second.header());
        EOFException end = assertThrows(EOFException.class, reader::read);
        assertEquals("ttrpc: closed", end.getMessage());
    }

    @Test
    void writerAssignsTheStreamIdItWrites() throws IOException {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        int id = new FrameWriter(Channels.newChannel(wire)).write(() -> 7, FrameHeader.TYPE_REQUEST, new byte[] {9});
        assertEquals(7, id);
        assertEquals(7, reader(wire.toByteArray()).read().header().streamId());
    }

    @Test
    void writerRefusesAPayloadOverTheLimit() {
        FrameWriter writer = new FrameWriter(Channels.newChannel(new ByteArrayOutputStream()));
        assertThrows(IllegalArgumentException.class,
                () -> writer.write(1, FrameHeader.TYPE_RESPONSE, new byte[FrameHeader.MAX_MESSAGE_LENGTH + 1]));
    }

    @Test
    void oversizedFrameIsDiscardedAndTheNextFrameReadsInStep() throws IOException {
        long length = FrameHeader.MAX_MESSAGE_LENGTH + 1L;
        InputStream wire = concat(header(length, 5, FrameHeader.TYPE_REQUEST),
                new PatternStream(length),
                header(2, 7, FrameHeader.TYPE_REQUEST), new ByteArrayInputStream(new byte[] {1, 2}));
        FrameReader reader = new FrameReader(Channels.newChannel(wire));

        FrameReader.Oversized oversized = assertInstanceOf(FrameReader.Oversized.class, reader.read());
        assertEquals(length, oversized.header().length());
        assertEquals(5, oversized.header().streamId());
        FrameReader.Frame next = assertInstanceOf(FrameReader.Frame.class, reader.read());
        assertEquals(7, next.header().streamId());
        assertArrayEquals(new byte[] {1, 2}, next.payload());
    }

    @Test
    void hugeAnnouncedLengthIsStreamedAwayUntilTheConnectionEnds() {
        // A garbage header may announce 4 GiB: the reader must not try to allocate it.
        InputStream wire = concat(header(0xFFFF_FFF0L, 1, FrameHeader.TYPE_REQUEST), new PatternStream(1000));
        FrameReader reader = new FrameReader(Channels.newChannel(wire));
        EOFException e = assertThrows(EOFException.class, reader::read);
        assertTrue(e.getMessage().startsWith("truncated frame data"), e.getMessage());
    }

    @Test
    void truncatedHeaderEndsTheConnection() {
        FrameReader reader = reader(new byte[] {0, 0, 0, 4, 0, 0});
        EOFException e = assertThrows(EOFException.class, reader::read);
        assertEquals("truncated frame header: 6 of 10 bytes", e.getMessage());
    }

    @Test
    void truncatedPayloadEndsTheConnection() {
        byte[] wire = Arrays.copyOf(bytes(header(8, 1, FrameHeader.TYPE_REQUEST)), FrameHeader.SIZE + 3);
        EOFException e = assertThrows(EOFException.class, reader(wire)::read);
        assertEquals("truncated frame data on stream 1: 3 of 8 bytes", e.getMessage());
    }

    private static FrameReader reader(byte[] wire) {
        return new FrameReader(Channels.newChannel(new ByteArrayInputStream(wire)));
    }

    private static InputStream header(long length, int streamId, byte type) {
        ByteBuffer buffer = ByteBuffer.allocate(FrameHeader.SIZE);
        FrameHeader.of(length, streamId, type).writeTo(buffer);
        return new ByteArrayInputStream(buffer.array());
    }

    private static byte[] bytes(InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static InputStream concat(InputStream... parts) {
        return new java.io.SequenceInputStream(java.util.Collections.enumeration(Arrays.asList(parts)));
    }

    /** {@code length} bytes generated on the fly, so the test itself holds no big array. */
    private static final class PatternStream extends InputStream {
        private long left;

        PatternStream(long length) {
            this.left = length;
        }

        @Override
        public int read() {
            return left-- > 0 ? 0x5a : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left <= 0) return -1;
            int n = (int) Math.min(len, left);
            Arrays.fill(b, off, off + n, (byte) 0x5a);
            left -= n;
            return n;
        }
    }

}
