package jrunc.linux;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import jrunc.core.spi.ErrnoException;
import jrunc.linux.ffi.Libc;

/**
 * A blocking OutputStream over a raw fd: write(2) until every byte is out, retried on EINTR. A reader that went
 * away gives EPIPE as an {@link ErrnoException} (the JVM does not die of SIGPIPE).
 */
final class FdOutputStream extends OutputStream {
    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();

    FdOutputStream(int fd) {
        this.fd = fd;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (closed.get()) throw new IOException("write fd " + fd + ": stream closed");
        while (len > 0) {
            int chunk = Math.min(len, FdInputStream.CHUNK);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(chunk);
                MemorySegment.copy(b, off, buffer, ValueLayout.JAVA_BYTE, 0, chunk);
                long done = 0;
                while (done < chunk) {
                    done += writeRetryingEintr(buffer.asSlice(done));
                }
            }
            off += chunk;
            len -= chunk;
        }
    }

    private long writeRetryingEintr(MemorySegment buffer) throws ErrnoException {
        while (true) {
            try {
                return Libc.write(fd, buffer);
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
