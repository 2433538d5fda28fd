package jrunc.core.stdio;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.StreamCopier;
import jrunc.core.spi.OperatingSystem.OpenFlags;

/**
 * Opening the client's side of a stream: the FIFOs containerd's client made, or a file. Every open here returns at
 * once, whether or not the client has its end open yet, so a Create or Start never waits for a client that is slow
 * or gone: containerd's shim does the same with containerd/fifo, whose opens complete in the background
 * ({@code copyPipes}, containerd v1.6.20 pkg/process/io.go).
 */
final class ClientEnds {
    private ClientEnds() {}

    /**
     * The hold and the source of a client's stdin FIFO (or file): {@code source} is a descriptor, handed to the
     * copier at start (and closed by whoever owns it then).
     */
    record Stdin(FileChannel hold, int source) {}

    /** The client's end of an output stream: the descriptor the copier writes, and how it closes. */
    record Output(int fd, StreamCopier.SinkEnd end) {
        /** Only for an output never handed to a copier: the copier closes it otherwise. */
        void close(OperatingSystem os) {
            os.close(fd);
            end.closed();
        }
    }

    /**
     * O_RDWR opens a FIFO at once and counts as a writer: the process sees no EOF on stdin until CloseIO drops this
     * hold, even if the client closes and reopens its end (containerd's {@code openStdin}). The read-only open then
     * returns at once too, since a writer exists (and is non-blocking: the copier never waits on it).
     */
    static Stdin openStdin(OperatingSystem os, Path path) throws IOException {
        FileChannel hold = open(path, READ, WRITE);
        try {
            return new Stdin(hold, os.open(path, OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK, 0));
        } catch (IOException e) {
            hold.close();
            throw e;
        }
    }

    static void closeStdin(OperatingSystem os, Stdin stdin) {
        if (stdin == null) return;
        closeQuietly(stdin.hold());
        os.close(stdin.source());
    }

    /**
     * The client's end of an output stream. For a FIFO a read end of ours is opened first (non-blocking, so at
     * once): with a reader present the write open returns at once too, what the process writes waits in the FIFO
     * until the client reads it, and our writes do not fail with EPIPE when the client goes away and comes back.
     * We never read that end. A regular file is appended to.
     */
    static Output openWriter(OperatingSystem os, Path path) throws IOException {
        if (!isFifo(path)) return new Output(os.open(path, OpenFlags.O_WRONLY | OpenFlags.O_APPEND, 0), StreamCopier.SinkEnd.AT_ONCE);
        // held until our writer is open, so that closing it never leaves the client's reader without a writer (EOF)
        int probe = FifoEnd.writerIfRead(os, path);
        int keepAlive;
        try {
            keepAlive = os.open(path, OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK, 0);
        } catch (IOException e) {
            if (probe >= 0) os.close(probe);
            throw new IOException("open " + path + ": " + e.getMessage(), e);
        }
        int writer;
        try {
            writer = os.open(path, OpenFlags.O_WRONLY | OpenFlags.O_NONBLOCK, 0);
        } catch (IOException e) {
            os.close(keepAlive);
            throw e;
        } finally {
            if (probe >= 0) os.close(probe);
        }
        return new Output(writer, new FifoEnd(os, path, keepAlive, probe >= 0));
    }

    /**
     * How our write end of a client's FIFO closes, with the read end that let it open at once. Once the output is
     * complete it closes only when the client has read everything, or has gone, or {@link ProcessIO#DRAIN_LIMIT}
     * has passed, for two reasons:
     * <ul>
     *   <li>containerd's client from 1.7 on closes its ends of the FIFOs as soon as DeleteProcess has answered
     *       ({@code cio.Cancel}, containerd v1.7.24 pkg/cio/io_unix.go; 1.6 waited for EOF): what it had not read
     *       by then is lost, which is how a short exec's stderr went missing on containerd 2.x. Delete waits for
     *       the copies ({@link ProcessIO#DRAIN_LIMIT}), so it answers only once the output has been read.</li>
     *   <li>unlike containerd's shim, whose write open blocks until the client's reader has opened
     *       ({@code copyPipes}, containerd v2.1.9 cmd/containerd-shim-runc-v2/process/io.go), ours meets no reader:
     *       closing before the client's own open of its end got to the kernel would leave that open waiting for a
     *       writer that never comes.</li>
     * </ul>
     * The copier asks {@link #mayClose} on its own tick, so the wait blocks nothing.
     */
    static final class FifoEnd implements StreamCopier.SinkEnd {
        private final OperatingSystem os;
        private final Path path;
        private final int keepAlive;
        private boolean metTheClient, draining, keepAliveClosed;
        private long deadline;

        private FifoEnd(OperatingSystem os, Path path, int keepAlive, boolean metTheClient) {
            this.os = os;
            this.path = path;
            this.keepAlive = keepAlive;
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

        /**
         * Everything is written. The first call drops our read end (our write end keeps the FIFO's contents, and the
         * client sees no EOF yet); then each looks for a reader of the client's ({@link #writerIfRead}) and how much
         * of the FIFO is unread (FIONREAD on that probe): true once the client has read it all, or the client it had
         * met has gone, or the limit has passed.
         */
        @Override
        public boolean mayClose() {
            if (!draining) {
                draining = true;
                closeKeepAlive();
                deadline = System.nanoTime() + ProcessIO.DRAIN_LIMIT.toNanos();
            }
            return readOrGone() || System.nanoTime() - deadline >= 0;
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

        @Override
        public void closed() {
            closeKeepAlive();
        }

        private void closeKeepAlive() {
            if (keepAliveClosed) return;
            keepAliveClosed = true;
            os.close(keepAlive);
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
