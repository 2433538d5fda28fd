package jrunc.linux;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import jrunc.core.spi.ErrnoException;
import jrunc.linux.ffi.Libc;

/**
 * A blocking InputStream over a raw fd (a pipe, a FIFO): read(2) on the calling thread, retried on EINTR.
 * The read blocks in native code, so it pins a virtual thread: read from platform threads.
 */
final class FdInputStream extends InputStream {
    /** Largest single read(2); a bigger request is answered in part, as InputStream allows. */
    static final int CHUNK = 64 * 1024;

    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();

    FdInputStream(int fd) {
        this.fd = fd;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return 0;
        if (closed.get()) throw new IOException("read fd " + fd + ": stream closed");
        // a buffer per call: a shared one could be freed by close() while another thread is blocked in read(2)
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Math.min(len, CHUNK));
            long n = readRetryingEintr(buffer);
            if (n == 0) return -1;
            MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, b, off, (int) n);
            return (int) n;
        }
    }

    private long readRetryingEintr(MemorySegment buffer) throws ErrnoException {
        while (true) {
            try {
                return Libc.read(fd, buffer);
            } catch (ErrnoException e) {
                if (e.errno() != ErrnoException.EINTR) throw e;
            }
        }
    }

    /** Closes the fd, once. */
    @Override
    public void close() throws IOException {
        if (closed.compareAndSet(false, true)) Libc.close(fd);
    }
}
