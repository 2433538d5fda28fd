package jrunc.core.ttrpc;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Reads ttrpc frames from one connection, one at a time (a connection has exactly one reader). Mirrors
 * {@code channel.recv} in ttrpc's {@code channel.go} (v1.1.1).
 *
 * <p>Two outcomes are not errors of the connection: a whole {@link Frame}, and an {@link Oversized} frame whose data
 * was longer than {@link FrameHeader#MAX_MESSAGE_LENGTH}. The oversized data has already been read past, in small
 * chunks and never held in memory, so the next frame starts in sync; the caller answers RESOURCE_EXHAUSTED on its
 * stream. A short read at end of stream, inside a header or inside data, ends the connection: it throws
 * {@link EOFException}.
 */
public final class FrameReader {
    /** What one read produced. */
    public sealed interface Inbound permits Frame, Oversized {
        FrameHeader header();
    }

    /** A whole frame: its header and exactly {@code header.length()} bytes of data. */
    public record Frame(FrameHeader header, byte[] payload) implements Inbound {
        public Frame {
            if (payload.length != header.length()) {
                throw new IllegalArgumentException("payload : " + payload.length + " bytes (expected: " + header.length() + ")");
            }
        }
    }

    /** A frame whose data exceeded the limit; its data was discarded. */
    public record Oversized(FrameHeader header) implements Inbound {}

    private static final int DISCARD_CHUNK = 16 * 1024;

    private final ReadableByteChannel channel;
    private final ByteBuffer headerBuffer = ByteBuffer.allocate(FrameHeader.SIZE);
    private ByteBuffer discardBuffer;

    public FrameReader(ReadableByteChannel channel) {
        this.channel = channel;
    }

    /**
     * Blocks until the next frame has been read.
     *
     * @throws EOFException the peer closed the connection, cleanly between frames or in the middle of one
     * @throws IOException  the connection failed
     */
    public Inbound read() throws IOException {
        headerBuffer.clear();
        int got = fill(headerBuffer);
        if (got == 0) throw new EOFException("ttrpc: closed");
        if (headerBuffer.hasRemaining()) {
            throw new EOFException("truncated frame header: " + got + " of " + FrameHeader.SIZE + " bytes");
        }
        FrameHeader header = FrameHeader.readFrom(headerBuffer.flip());
        if (header.isOversized()) {
            discard(header);
            return new Oversized(header);
        }
        // Allocated per frame on purpose (no buffer pool): frames are small and few, and a pool would hold memory between calls.
        ByteBuffer payload = ByteBuffer.allocate((int) header.length());
        int read = fill(payload);
        if (payload.hasRemaining()) throw truncatedData(header, read);
        return new Frame(header, payload.array());
    }

    /** Reads past the data of an oversized frame so that the next header is read in step. */
    private void discard(FrameHeader header) throws IOException {
        if (discardBuffer == null) discardBuffer = ByteBuffer.allocate(DISCARD_CHUNK);
        long left = header.length();
        while (left > 0) {
            discardBuffer.clear().limit((int) Math.min(DISCARD_CHUNK, left));
            int n = fill(discardBuffer);
            left -= n;
            if (discardBuffer.hasRemaining()) throw truncatedData(header, header.length() - left);
        }
    }

    /** Reads until {@code buffer} is full or the stream ends; returns the number of bytes read. */
    private int fill(ByteBuffer buffer) throws IOException {
        int total = 0;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer);
            if (n < 0) break;
            total += n;
        }
        return total;
    }

    private static EOFException truncatedData(FrameHeader header, long read) {
        return new EOFException("truncated frame data on stream " + Integer.toUnsignedString(header.streamId())
                + ": " + read + " of " + header.length() + " bytes");
    }
}
