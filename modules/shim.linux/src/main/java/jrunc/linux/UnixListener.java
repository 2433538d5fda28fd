package jrunc.linux;

import java.io.IOException;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import jrunc.core.spi.ErrnoException;
import jrunc.linux.ffi.Constants;
import jrunc.linux.ffi.Libc;
import jrunc.linux.ffi.SockaddrUn;
import jrunc.linux.ffi.UnixSocket;

/**
 * The shim's listening socket: made in {@code start} with raw calls (the JDK's channels have no fd to hand to a
 * child) and turned back into a JDK channel in the daemon. Mirrors runtime/v2/shim/util_unix.go NewSocket
 * (containerd v1.6.20).
 */
final class UnixListener {
    private static final Set<PosixFilePermission> OWNER_RW = PosixFilePermissions.fromString("rw-------");

    private UnixListener() {}

    /**
     * socket + bind + listen + chmod 0600, in Go's order (net.Listen, then os.Chmod). listen comes right after bind
     * (its downcall linked with bind's) because a concurrent {@code start} of the same group that finds the path
     * taken dials it to tell a live shim from a stale socket: between bind and listen it would be refused, take the
     * socket for stale, replace it and spawn a second daemon for the group. The fd is O_CLOEXEC like every fd jrunc opens: the spawn that hands it
     * to the daemon as fd 3 dup2s it, which clears the flag in the child only.
     */
    static int listen(Path path) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length > SockaddrUn.MAX_PATH_BYTES) {
            throw new ErrnoException("bind", Constants.ENAMETOOLONG, "unix socket path is " + name.length
                    + " bytes, the limit is " + SockaddrUn.MAX_PATH_BYTES + ": " + path);
        }
        createParent(path);
        int fd = UnixSocket.streamSocket();
        boolean bound = false;
        try {
            UnixSocket.bind(fd, name); // EADDRINUSE when the path exists: the caller decides whether it is stale
            bound = true;
            UnixSocket.listen(fd, Constants.SOMAXCONN);
            Files.setPosixFilePermissions(path, OWNER_RW);
            return fd;
        } catch (IOException | RuntimeException e) {
            closeQuietly(fd);
            if (bound) Files.deleteIfExists(path);
            throw e;
        }
    }

    /*
     * The Go shim creates the directory with os.MkdirAll(dir, 0600). A directory without the x bit cannot be
     * searched by its owner either, but the shim and containerd run as root, which needs no search permission,
     * and everyone else is kept out, which is the point. We keep the same mode.
     */
    private static void createParent(Path path) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(OWNER_RW));
        }
    }

    /**
     * The JDK only knows how to adopt fd 0 ({@link System#inheritedChannel()}), so the inherited listener is moved
     * there first. The JDK caches the inherited channel, so this works once per process.
     */
    static ServerSocketChannel inherited(int fd) throws IOException {
        if (fd != 0) {
            Libc.dup2(fd, 0);
            Libc.close(fd);
        }
        Channel channel = System.inheritedChannel();
        if (channel instanceof ServerSocketChannel listener) return listener;
        throw new IOException("inherited fd " + fd + " is not a listening socket (the JDK sees "
                + (channel == null ? "no channel" : channel.getClass().getSimpleName()) + ")");
    }

    private static void closeQuietly(int fd) {
        try {
            Libc.close(fd);
        } catch (ErrnoException ignored) {
            // the socket is being abandoned after another failure, which is the one to report
        }
    }
}
