package jrunc.core.ttrpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import jrunc.core.ttrpc.Wire.Segment;
import java.util.stream.Stream;
import jrunc.core.fake.Gen;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The frame codec over random streams, as ttrpc's {@code channel.recv} reads them (ttrpc v1.1.1 channel.go): any
 * sequence of frames of any type, flags and stream id, oversized ones among them, delivered in chunks of any size,
 * reads back frame for frame; an oversized one comes back as {@link FrameReader.Oversized} with the next frame in
 * step; and the stream ends with an {@link EOFException} that says whether it ended cleanly, inside a header or
 * inside data. Nothing else is ever thrown.
 */
class FrameReaderPropertyTest {

    /** One frame as the test puts it on the wire. */
    record Sent(FrameHeader header, byte[] payload) {
        boolean oversized() {
            return header.isOversized();
        }

        Segment data() {
            return oversized() ? Segment.zeros(header.length()) : Segment.of(payload);
        }

        @Override
        public String toString() {
            return header + (oversized() ? " (data virtual)" : " payload " + payload.length);
        }
    }

    /** How the stream ends after the frames: cleanly, or cut {@code cut} bytes into one more frame. */
    record End(Sent frame, long cut) {
        @Override
        public String toString() {
            return frame == null ? "clean end" : "cut " + cut + " bytes into " + frame;
        }
    }

    static Stream<Long> seeds() {
        return Gen.seeds(0xf4a3e_0000L, 300);
    }

    /** A frame of any stream id, type and flags; one in thirteen oversized. */
    static Sent frame(Gen g) {
        int id = g.bool() ? g.between(0, 64) : g.anyInt();
        byte type = g.bool() ? g.pick(FrameHeader.TYPE_REQUEST, FrameHeader.TYPE_RESPONSE, FrameHeader.TYPE_DATA) : g.anyByte();
        byte flags = g.anyByte();
        if (g.oneIn(13)) {
            long length = g.between(FrameHeader.MAX_MESSAGE_LENGTH + 1L, FrameHeader.MAX_MESSAGE_LENGTH + 70_000L);
            return new Sent(new FrameHeader(length, id, type, flags), new byte[0]);
        }
        byte[] payload = g.bytes(300);
        return new Sent(new FrameHeader(payload.length, id, type, flags), payload);
    }

    static End end(Gen g) {
        if (g.bool()) return new End(null, 0);
        Sent f = frame(g);
        return new End(f, g.between(1, FrameHeader.SIZE + f.header().length() - 1));
    }

    /** How many bytes each read hands out, in turn: a trickle, or big pieces, and now and then none at all. */
    static List<Integer> chunks(Gen g) {
        int max = g.bool() ? 17 : 70_000;
        List<Integer> chunks = g.list(7, () -> g.oneIn(5) ? 0 : g.between(1, max));
        chunks.add(g.between(1, max));
        return chunks;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyFrameReadsBackInStepAndTheEndIsAnEofThatSaysWhere(long seed) throws IOException {
        Gen g = new Gen(seed);
        List<Sent> sent = g.list(12, () -> frame(g));
        End end = end(g);
        List<Integer> chunks = chunks(g);
        List<Segment> wire = new ArrayList<>();
        for (Sent s : sent) {
            wire.add(Segment.of(header(s.header())));
            wire.add(s.data());
        }
        if (end.frame() != null) wire.addAll(cut(end.frame(), end.cut()));
        FrameReader reader = new FrameReader(Wire.channel(wire, chunks));

        for (Sent s : sent) {
            FrameReader.Inbound in = reader.read();
            assertEquals(s.header(), in.header());
            if (s.oversized()) {
                assertInstanceOf(FrameReader.Oversized.class, in, "an oversized frame is reported, not read");
            } else {
                assertArrayEquals(s.payload(), assertInstanceOf(FrameReader.Frame.class, in).payload());
            }
        }
        EOFException eof = assertThrows(EOFException.class, reader::read);
        assertEquals(expectedEnd(end), eof.getMessage());
    }

    /** Whatever the bytes, the reader hands out only whole frames within the limit, then an EOF: never anything else. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void anyBytesReadAsFramesOrAnEofAndNothingElse(long seed) {
        Gen g = new Gen(seed);
        byte[] bytes = g.bytes(600);
        if (g.bool() && bytes.length >= 4) bytes[0] = bytes[1] = 0; // a length the reader will take in
        List<Integer> chunks = chunks(g);
        FrameReader reader = new FrameReader(Wire.channel(List.of(Segment.of(bytes)), chunks));
        long consumed = 0;
        try {
            while (true) {
                FrameReader.Inbound in = reader.read();
                consumed += FrameHeader.SIZE + in.header().length();
                assertTrue(consumed <= bytes.length, "read past the end: " + in.header());
                if (in instanceof FrameReader.Frame f) {
                    assertTrue(f.payload().length <= FrameHeader.MAX_MESSAGE_LENGTH);
                    assertEquals(f.header().length(), f.payload().length);
                }
            }
        } catch (EOFException expected) {
            assertTrue(consumed <= bytes.length);
        } catch (IOException | RuntimeException e) {
            fail("only an EOF may end the stream, got " + e, e);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aHeaderRoundTripsAndIsOversizedExactlyOverTheLimit(long seed) {
        Gen g = new Gen(seed);
        long length = switch (g.weighted(4, 2, 1)) {
            case 0 -> g.between(0, 0xFFFF_FFFFL);
            case 1 -> g.between(FrameHeader.MAX_MESSAGE_LENGTH - 2L, FrameHeader.MAX_MESSAGE_LENGTH + 2L);
            default -> g.pick(0L, 0xFFFF_FFFFL, 0x8000_0000L);
        };
        int streamId = g.anyInt();
        byte type = g.anyByte(), flags = g.anyByte();
        FrameHeader header = new FrameHeader(length, streamId, type, flags);
        ByteBuffer buffer = ByteBuffer.allocate(FrameHeader.SIZE);
        header.writeTo(buffer);
        assertEquals(FrameHeader.SIZE, buffer.position());
        assertEquals(header, FrameHeader.readFrom(buffer.flip()));
        assertEquals(length > FrameHeader.MAX_MESSAGE_LENGTH, header.isOversized());
    }

    /** What the writer puts out, through a socket that takes a few bytes per write, the reader reads back. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void whatTheWriterWritesTheReaderReadsBack(long seed) throws IOException {
        Gen g = new Gen(seed);
        List<byte[]> payloads = g.list(8, () -> g.bytes(2000));
        int firstId = g.anyInt(), perWrite = g.between(1, 40);
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(trickle(wire, perWrite));
        for (int i = 0; i < payloads.size(); i++) writer.write(firstId + 2 * i, FrameHeader.TYPE_RESPONSE, payloads.get(i));
        FrameReader reader = new FrameReader(Wire.channel(List.of(Segment.of(wire.toByteArray())), List.of(perWrite)));
        for (int i = 0; i < payloads.size(); i++) {
            FrameReader.Frame f = assertInstanceOf(FrameReader.Frame.class, reader.read());
            assertEquals(FrameHeader.of(payloads.get(i).length, firstId + 2 * i, FrameHeader.TYPE_RESPONSE), f.header());
            assertArrayEquals(payloads.get(i), f.payload());
        }
        assertEquals("ttrpc: closed", assertThrows(EOFException.class, reader::read).getMessage());
    }

    private static WritableByteChannel trickle(ByteArrayOutputStream to, int perWrite) {
        return new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) {
                int n = Math.min(perWrite, src.remaining());
                for (int i = 0; i < n; i++) to.write(src.get());
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {}
        };
    }

    private static byte[] header(FrameHeader h) {
        return Wire.header(h.length(), h.streamId(), h.type(), h.flags());
    }

    /** The first {@code cut} bytes of {@code frame} on the wire. */
    private static List<Segment> cut(Sent frame, long cut) {
        byte[] header = header(frame.header());
        if (cut < FrameHeader.SIZE) return List.of(Segment.of(Arrays.copyOf(header, (int) cut)));
        long data = cut - FrameHeader.SIZE;
        Segment partial = frame.oversized() ? Segment.zeros(data) : Segment.of(Arrays.copyOf(frame.payload(), (int) data));
        return List.of(Segment.of(header), partial);
    }

    private static String expectedEnd(End end) {
        if (end.frame() == null) return "ttrpc: closed";
        if (end.cut() < FrameHeader.SIZE) return "truncated frame header: " + end.cut() + " of 10 bytes";
        FrameHeader h = end.frame().header();
        return "truncated frame data on stream " + Integer.toUnsignedString(h.streamId()) + ": "
                + (end.cut() - FrameHeader.SIZE) + " of " + h.length() + " bytes";
    }
}
