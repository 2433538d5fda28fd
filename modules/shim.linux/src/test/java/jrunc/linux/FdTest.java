package jrunc.linux;

import static jrunc.linux.Children.OS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.OperatingSystem.OpenFlags;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FdTest {
    @TempDir
    Path dir;

    @Test
    void pipeCarriesBytesToEndOfFileAndBothEndsAreCloseOnExec() throws Exception {
        int[] pipe = OS.pipe();
        assertTrue(Children.isCloseOnExec(pipe[0]) && Children.isCloseOnExec(pipe[1]));
        byte[] data = new byte[200_000]; // more than one read/write chunk and more than the pipe buffer
        new Random(7).nextBytes(data);
        try (InputStream in = OS.inputStream(pipe[0])) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try (OutputStream out = OS.outputStream(pipe[1])) {
                    out.write(data);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertArrayEquals(data, in.readAllBytes());
            writer.get(10, TimeUnit.SECONDS);
        }
    }

    /** What the stdio copier asks before it closes a client's FIFO: how much the client has not read yet. */
    @Test
    void unreadBytesCountsWhatWaitsInAFifoFromEitherEnd() throws Exception {
        Path fifo = dir.resolve("out");
        OS.mkfifo(fifo, 0600);
        int reader = OS.open(fifo, OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK, 0);
        int writer = OS.open(fifo, OpenFlags.O_WRONLY | OpenFlags.O_NONBLOCK, 0);
        try {
            assertEquals(0, OS.unreadBytes(writer));
            try (OutputStream out = OS.outputStream(OS.dup(writer))) {
                out.write("abc".getBytes());
            }
            assertEquals(3, OS.unreadBytes(writer));
            assertEquals(3, OS.unreadBytes(reader));
            try (InputStream in = OS.inputStream(OS.dup(reader))) {
                assertEquals(2, in.read(new byte[2]));
            }
            assertEquals(1, OS.unreadBytes(writer));
        } finally {
            OS.close(writer);
            OS.close(reader);
        }
    }

    @Test
    void closingAStreamTwiceClosesItsFdOnce() throws Exception {
        int[] pipe = OS.pipe();
        OutputStream out = OS.outputStream(pipe[1]);
        out.close();
        int[] next = OS.pipe(); // the kernel hands out the lowest free fd: likely the one just closed
        out.close();
        for (int fd : next) {
            assertTrue(Files.exists(Path.of("/proc/self/fd/" + fd)), "second close closed fd " + fd);
            OS.close(fd);
        }
        OS.close(pipe[0]);
    }

    @Test
    void writeToAPipeWithNoReaderIsEpipe() throws Exception {
        int[] pipe = OS.pipe();
        OS.close(pipe[0]);
        try (OutputStream out = OS.outputStream(pipe[1])) {
            var e = assertThrows(ErrnoException.class, () -> out.write(1));
            assertEquals(ErrnoException.EPIPE, e.errno());
        }
    }

    @Test
    void openAddsCloexecAndReportsErrno() throws Exception {
        int fd = OS.open(dir.resolve("f"), OpenFlags.O_WRONLY | OpenFlags.O_CREAT, 0640);
        try {
            assertTrue(Children.isCloseOnExec(fd));
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("f"))));
        } finally {
            OS.close(fd);
        }
        var e = assertThrows(ErrnoException.class, () -> OS.open(dir.resolve("missing"), OpenFlags.O_RDONLY, 0));
        assertEquals(ErrnoException.ENOENT, e.errno());
    }

    @Test
    void mkfifoMakesAFifoAndRefusesAnExistingPath() throws Exception {
        Path fifo = dir.resolve("log");
        OS.mkfifo(fifo, 0600);
        assertTrue(Files.readAttributes(fifo, BasicFileAttributes.class).isOther());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(fifo)));
        var e = assertThrows(ErrnoException.class, () -> OS.mkfifo(fifo, 0600));
        assertEquals(ErrnoException.EEXIST, e.errno());
    }

    @Test
    void fchownChangesTheOwnerOfTheOpenFile() throws Exception {
        Path file = Files.createFile(dir.resolve("stdout"));
        int fd = OS.open(file, OpenFlags.O_RDONLY, 0);
        try {
            OS.fchown(fd, 1234, 5678);
        } finally {
            OS.close(fd);
        }
        assertEquals(1234, Files.getAttribute(file, "unix:uid"));
        assertEquals(5678, Files.getAttribute(file, "unix:gid"));
    }
}
