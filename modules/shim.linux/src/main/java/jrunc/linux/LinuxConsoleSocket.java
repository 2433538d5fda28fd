package jrunc.linux;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import jrunc.core.spi.ConsoleSocket;
import jrunc.core.spi.ErrnoException;
import jrunc.linux.ffi.Constants;
import jrunc.linux.ffi.Libc;
import jrunc.linux.ffi.SockaddrUn;
import jrunc.linux.ffi.Terminal;
import jrunc.linux.ffi.UnixSocket;

/**
 * {@link ConsoleSocket} with raw calls: the JDK's Unix channels cannot receive SCM_RIGHTS. The listening fd is
 * close-on-exec, so the runc we spawn does not inherit it (runc connects to the path instead).
 */
final class LinuxConsoleSocket implements ConsoleSocket {
    private static final System.Logger LOG = System.getLogger(LinuxConsoleSocket.class.getName());
    /** runc sends the pty's name ("/dev/pts/N") as the data; anything longer is cut, which is harmless. */
    private static final int MAX_NAME = 4096;

    private final Path dir;
    private final Path path;
    private final int listener;
    private boolean closed; // guarded by this

    private LinuxConsoleSocket(Path dir, Path path, int listener) {
        this.dir = dir;
        this.path = path;
        this.listener = listener;
    }

    /** mkdtemp-like {@code <parent>/pty<random>} (0700, the JDK's default for temp dirs), then socket + bind + listen. */
    static LinuxConsoleSocket open(Path parent) throws IOException {
        Path dir = Files.createTempDirectory(parent, "pty");
        Path path = dir.resolve("pty.sock").toAbsolutePath();
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        int fd = -1;
        try {
            if (name.length > SockaddrUn.MAX_PATH_BYTES) {
                throw new ErrnoException("bind", Constants.ENAMETOOLONG, "console socket path is too long: " + path);
            }
            fd = UnixSocket.streamSocket();
            UnixSocket.bind(fd, name);
            UnixSocket.listen(fd, 1);
            return new LinuxConsoleSocket(dir, path, fd);
        } catch (IOException | RuntimeException e) {
            if (fd != -1) closeQuietly(fd);
            removeQuietly(path, dir);
            throw e;
        }
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public int receiveMaster(Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        awaitReadable(listener, deadline, limit, "connection from runc");
        int conn = Terminal.accept(listener);
        try {
            awaitReadable(conn, deadline, limit, "pty master from runc");
            Terminal.Received message = Terminal.receiveFds(conn, MAX_NAME);
            if (message.fds().length == 1 && !message.truncated()) return message.fds()[0];
            for (int fd : message.fds()) closeQuietly(fd);
            throw new IOException("console socket: expected one pty master fd, got " + message.fds().length
                    + (message.truncated() ? " (control data truncated)" : ""));
        } finally {
            closeQuietly(conn);
        }
    }

    private static void awaitReadable(int fd, long deadline, Duration limit, String what) throws IOException {
        long leftMillis = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
        if (!Terminal.awaitReadable(fd, (int) Math.min(Integer.MAX_VALUE, leftMillis))) {
            throw new IOException("console socket: no " + what + " within " + limit.toSeconds() + "s");
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        closeQuietly(listener);
        removeQuietly(path, dir);
    }

    private static void removeQuietly(Path path, Path dir) {
        try {
            Files.deleteIfExists(path);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "failed to remove console socket " + path + ": " + e.getMessage());
        }
    }

    private static void closeQuietly(int fd) {
        try {
            Libc.close(fd);
        } catch (ErrnoException ignored) {
            // nothing more to do with it
        }
    }
}
