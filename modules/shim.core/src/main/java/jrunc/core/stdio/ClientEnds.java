package jrunc.core.stdio;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.OperatingSystem.OpenFlags;

/**
 * Opening the client's side of a stream: the FIFOs containerd's client made, or a file. Every open here returns at
 * once, whether or not the client has its end open yet, so a Create or Start never waits for a client that is slow
 * or gone: containerd's shim does the same with containerd/fifo, whose opens complete in the background
 * ({@code copyPipes}, containerd v1.6.20 pkg/process/io.go).
 */
final class ClientEnds {
    private ClientEnds() {}

    /** The hold and the source of a client's stdin FIFO (or file). */
    record Stdin(FileChannel hold, FileChannel source) {}

    /**
     * O_RDWR opens a FIFO at once and counts as a writer: the process sees no EOF on stdin until CloseIO drops this
     * hold, even if the client closes and reopens its end (containerd's {@code openStdin}). The read-only open then
     * returns at once too, since a writer exists.
     */
    static Stdin openStdin(Path path) throws IOException {
        FileChannel hold = open(path, READ, WRITE);
        try {
            return new Stdin(hold, open(path, READ));
        } catch (IOException e) {
            hold.close();
            throw e;
        }
    }

    /**
     * The client's end of an output stream. For a FIFO a read end of ours is opened first (non-blocking, so at
     * once): with a reader present the write open returns at once too, what the process writes waits in the FIFO
     * until the client reads it, and our writes do not fail with EPIPE when the client goes away and comes back.
     * We never read that end. A regular file is appended to.
     */
    static OutputStream openWriter(OperatingSystem os, Path path) throws IOException {
        if (!isFifo(path)) return Channels.newOutputStream(open(path, WRITE, APPEND));
        // held until our writer is open, so that closing it never leaves the client's reader without a writer (EOF)
        int probe = FifoWriter.writerIfRead(os, path);
        int keepAlive;
        try {
            keepAlive = os.open(path, OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK, 0);
        } catch (IOException e) {
            if (probe >= 0) os.close(probe);
            throw new IOException("open " + path + ": " + e.getMessage(), e);
        }
        FileChannel writer;
        try {
            writer = open(path, WRITE);
        } catch (IOException e) {
            os.close(keepAlive);
            throw e;
        } finally {
            if (probe >= 0) os.close(probe);
        }
        return new FifoWriter(os, path, keepAlive, Channels.newOutputStream(writer), probe >= 0);
    }

    /**
     * Our write end of a client's FIFO, and the read end that let it open at once. At the end of a copy
     * ({@link #closeOnceRead}) it closes only once the client has read everything, or has gone, or a bounded time
     * has passed, for two reasons:
     * <ul>
     *   <li>containerd's client from 1.7 on closes its ends of the FIFOs as soon as DeleteProcess has answered
     *       ({@code cio.Cancel}, containerd v1.7.24 pkg/cio/io_unix.go; 1.6 waited for EOF): what it had not read
     *       by then is lost, which is how a short exec's stderr went missing on containerd 2.x. Delete waits for
     *       the copiers ({@link ProcessIO#DRAIN_LIMIT}), so it answers only once the output has been read.</li>
     *   <li>unlike containerd's shim, whose write open blocks until the client's reader has opened
     *       ({@code copyPipes}, containerd v2.1.9 cmd/containerd-shim-runc-v2/process/io.go), ours meets no reader:
     *       closing before the client's own open of its end got to the kernel would leave that open waiting for a
     *       writer that never comes.</li>
     * </ul>
     */
    static final class FifoWriter extends OutputStream {
        private static final long POLL_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(5);
        private final OperatingSystem os;
        private final Path path;
        private final int keepAlive;
        private final OutputStream target;
        private boolean metTheClient;
        private boolean closed, keepAliveClosed;

        private FifoWriter(OperatingSystem os, Path path, int keepAlive, OutputStream target, boolean metTheClient) {
            this.os = os;
            this.path = path;
            this.keepAlive = keepAlive;
            this.target = target;
            this.metTheClient = metTheClient;
        }

        /**
         * A write end of the FIFO if someone has a read end open (or is blocked opening one: this open wakes them),
         * else -1 (POSIX: a non-blocking write open of a FIFO without readers fails with ENXIO).
         */
        static int writerIfRead(OperatingSystem os, Path path) {
            try {
                return os.open(path, OpenFlags.O_WRONLY | OpenFlags.O_NONBLOCK, 0);
            } catch (IOException noReader) {
                return -1;
            }
        }

        @Override
        public void write(int b) throws IOException {
            target.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            target.write(b, off, len);
        }

        /**
         * Everything is written: drops our read end (our write end keeps the FIFO's contents, and the client sees
         * no EOF yet), then, for at most {@code limit}, looks for a reader of the client's ({@link #writerIfRead})
         * and how much of the FIFO is unread (FIONREAD on that probe), until the client has read it all, or the
         * client it had met has gone; then closes.
         */
        void closeOnceRead(java.time.Duration limit) throws IOException {
            synchronized (this) {
                if (closed) return;
                closeKeepAlive();
            }
            long deadline = System.nanoTime() + limit.toNanos();
            while (!readOrGone() && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(POLL_NANOS);
            }
            close();
        }

        /** Our own write end is still open here, so closing the probe gives the client no EOF. */
        private boolean readOrGone() {
            int probe = writerIfRead(os, path);
            if (probe < 0) return metTheClient; // no reader: gone if we had met one, else not come yet
            metTheClient = true;
            try {
                return os.unreadBytes(probe) == 0;
            } catch (IOException cannotTell) {
                return true;
            } finally {
                os.close(probe);
            }
        }

        private void closeKeepAlive() {
            if (keepAliveClosed) return;
            keepAliveClosed = true;
            os.close(keepAlive);
        }

        @Override
        public synchronized void close() throws IOException {
            if (closed) return;
            closed = true;
            try {
                target.close();
            } finally {
                closeKeepAlive();
            }
        }
    }

    /** A FIFO (or another special file) rather than a regular file; a missing path is neither. */
    static boolean isFifo(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).isOther();
        } catch (IOException e) {
            return false;
        }
    }

    /** FileChannel.open, with the path in the message whatever failed. */
    private static FileChannel open(Path path, java.nio.file.OpenOption... options) throws IOException {
        try {
            return FileChannel.open(path, options);
        } catch (FileSystemException e) {
            throw e;
        } catch (IOException e) {
            throw new IOException("open " + path + ": " + e.getMessage(), e);
        }
    }

    static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is all we wanted
        }
    }
}
