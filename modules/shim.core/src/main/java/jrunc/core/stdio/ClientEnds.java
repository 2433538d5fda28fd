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
        int keepAlive;
        try {
            keepAlive = os.open(path, OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK, 0);
        } catch (IOException e) {
            throw new IOException("open " + path + ": " + e.getMessage(), e);
        }
        FileChannel writer;
        try {
            writer = open(path, WRITE);
        } catch (IOException e) {
            os.close(keepAlive);
            throw e;
        }
        OutputStream target = Channels.newOutputStream(writer);
        return new OutputStream() {
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                target.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                target.write(b, off, len);
            }

            @Override
            public synchronized void close() throws IOException {
                if (closed) return;
                closed = true;
                try {
                    target.close();
                } finally {
                    os.close(keepAlive);
                }
            }
        };
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
