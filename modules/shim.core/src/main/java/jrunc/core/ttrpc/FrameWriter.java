package jrunc.core.ttrpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;

/**
 * Writes ttrpc frames to one connection from any number of threads. Each frame (header and data) is built into one
 * buffer and written under one lock, so two frames never interleave on the wire: handlers answer concurrently on a
 * shared connection (ttrpc v1.1.1 server.go, serverConn.run). Mirrors {@code channel.send} in ttrpc's {@code
 * channel.go}, whose callers
 * serialise through one {@code responses} channel.
 */
public final class FrameWriter {
    private final WritableByteChannel channel;
    /** Held for the whole of one frame's write, and while its stream id is chosen. */
    private final ReentrantLock lock = new ReentrantLock();

    public FrameWriter(WritableByteChannel channel) {
        this.channel = channel;
    }

    /**
     * Writes one frame with flags 0, as every unary Request and Response carries.
     *
     * @throws IllegalArgumentException the payload is over {@link FrameHeader#MAX_MESSAGE_LENGTH}: callers decide what
     *                                  to answer instead (ttrpc v1.2 senders refuse such frames too)
     */
    public void write(int streamId, byte type, byte[] payload) throws IOException {
        write(() -> streamId, type, payload);
    }

    /**
     * Writes one frame whose stream id is chosen under the write lock, and returns that id. A client needs this: a
     * v1.2 server rejects a Request whose id is not higher than the last one it saw, so ids must reach the wire in
     * the order they were handed out.
     */
    public int write(IntSupplier assignStreamId, byte type, byte[] payload) throws IOException {
        if (payload.length > FrameHeader.MAX_MESSAGE_LENGTH) {
            throw new IllegalArgumentException("payload : " + payload.length + " bytes (expected: <= "
                    + FrameHeader.MAX_MESSAGE_LENGTH + ")");
        }
        ByteBuffer frame = ByteBuffer.allocate(FrameHeader.SIZE + payload.length);
        frame.position(FrameHeader.SIZE);
        frame.put(payload);
        lock.lock();
        try {
            int streamId = assignStreamId.getAsInt();
            FrameHeader.of(payload.length, streamId, type).writeTo(frame.clear());
            frame.clear();
            while (frame.hasRemaining()) channel.write(frame);
            return streamId;
        } finally {
            lock.unlock();
        }
    }
}
