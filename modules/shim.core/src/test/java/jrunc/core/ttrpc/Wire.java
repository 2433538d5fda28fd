package jrunc.core.ttrpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes as a ttrpc peer puts them on the wire, for the property tests: frames built by hand (any length, type,
 * flags and stream id, oversized ones included) and a channel that hands them out in chunks of the test's choosing,
 * as a socket does. The data of an oversized frame is virtual: zeros counted out, never held in memory.
 */
final class Wire {
    private Wire() {}

    /** A run of bytes in the stream: real ones, or {@code zeros} virtual zero bytes. */
    record Segment(byte[] bytes, long zeros) {
        static Segment of(byte[] bytes) {
            return new Segment(bytes, 0);
        }

        static Segment zeros(long count) {
            return new Segment(new byte[0], count);
        }
    }

    static byte[] header(long length, int streamId, byte type, byte flags) {
        ByteBuffer buffer = ByteBuffer.allocate(FrameHeader.SIZE);
        new FrameHeader(length, streamId, type, flags).writeTo(buffer);
        return buffer.array();
    }

    /**
     * A channel over {@code segments} whose reads return at most the next of {@code chunks} bytes each (cycling
     * through them; a chunk of 0 is a read that returns nothing, as a non-blocking socket may), then -1 at the end.
     */
    static ReadableByteChannel channel(List<Segment> segments, List<Integer> chunks) {
        return new ReadableByteChannel() {
            private final List<Segment> left = new ArrayList<>(segments);
            private int offsetInBytes;
            private long offsetInZeros;
            private int chunk;
            private boolean open = true;

            @Override
            public int read(ByteBuffer dst) throws IOException {
                if (!open) throw new ClosedChannelException();
                while (!left.isEmpty() && remainingIn(left.getFirst()) == 0) {
                    left.removeFirst();
                    offsetInBytes = 0;
                    offsetInZeros = 0;
                }
                if (left.isEmpty()) return -1;
                int limit = chunks.isEmpty() ? Integer.MAX_VALUE : chunks.get(chunk++ % chunks.size());
                Segment s = left.getFirst();
                int n = (int) Math.min(Math.min(limit, dst.remaining()), remainingIn(s));
                int fromBytes = Math.min(n, s.bytes().length - offsetInBytes);
                dst.put(s.bytes(), offsetInBytes, fromBytes);
                offsetInBytes += fromBytes;
                for (int i = fromBytes; i < n; i++) dst.put((byte) 0);
                offsetInZeros += n - fromBytes;
                return n;
            }

            private long remainingIn(Segment s) {
                return s.bytes().length - offsetInBytes + s.zeros() - offsetInZeros;
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() {
                open = false;
            }
        };
    }
}
