package jrunc.core.manager;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Predicate;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.OperatingSystem;

/**
 * The shim's socket file in {@code /run/containerd/s}, as {@code start} and {@code delete} handle it. A socket
 * nobody accepts on is left by a shim that was killed (containerd does not remove it, nor does Go's shim:
 * containerd#11292); {@code start} replaces it, {@code delete} removes it. Both do so holding an flock on the socket
 * directory, taken only once a socket file is known to be there, so neither can remove the fresh socket a
 * concurrent {@code start} of the same group has just bound.
 */
public final class ShimSocket {
    /** S_IFMT and S_IFSOCK of st_mode (&lt;sys/stat.h&gt;). */
    private static final int S_IFMT = 0170000, S_IFSOCK = 0140000;

    private final OperatingSystem os;
    private final Path socketDir;
    private final Predicate<Path> answers;

    /** The socket directory containerd hard-codes, probed by connecting. */
    public ShimSocket(OperatingSystem os) {
        this(os, Path.of(SocketAddress.SOCKET_DIR), ShimSocket::connects);
    }

    /** @param answers whether something accepts connections on a socket path (the one probe start and delete use) */
    ShimSocket(OperatingSystem os, Path socketDir, Predicate<Path> answers) {
        this.os = os;
        this.socketDir = socketDir;
        this.answers = answers;
    }

    /** The address containerd dials for a group's socket hash ({@link SocketAddress#hash}). */
    public String address(String hash) {
        return SocketAddress.UNIX_PREFIX + socketDir.resolve(hash);
    }

    /** What {@link #bind} found. */
    public sealed interface Binding {
        /** A listening fd of ours on the socket, to hand to the daemon. */
        record Listening(int fd) implements Binding {}

        /** A shim already serves this group there: containerd connects to it for this task too. */
        record Served() implements Binding {}
    }

    /**
     * Binds {@code socket}. If the path is taken (EADDRINUSE), under the directory's lock: a socket something
     * accepts on is the group's shim ({@link Binding.Served}); one nobody accepts on is removed and bound afresh.
     */
    public Binding bind(Path socket) throws IOException {
        try {
            return new Binding.Listening(os.listenUnix(socket));
        } catch (ErrnoException e) {
            if (e.errno() != ErrnoException.EADDRINUSE) throw e;
        }
        try (AutoCloseable locked = os.lockExclusive(socket.getParent())) {
            if (answers.test(socket)) return new Binding.Served();
            Files.deleteIfExists(socket);
            return new Binding.Listening(os.listenUnix(socket));
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("unlock " + socket.getParent() + ": " + e.getMessage(), e);
        }
    }

    /**
     * {@code delete}'s last step: removes the socket the bundle's {@code address} names if it lies in the socket
     * directory, is a socket and nothing accepts on it. A live one (the group's shim serving other tasks) is kept.
     */
    public StopResult.Step removeIfDead(Path bundle) {
        String action = "remove-socket";
        Path socket;
        try {
            socket = SocketAddress.socketFile(readAddress(bundle));
        } catch (NoSuchFileException e) {
            return new StopResult.Step(action, bundle.resolve(BundleFiles.ADDRESS).toString(), true, "no address file");
        } catch (IOException e) {
            return new StopResult.Step(action, bundle.resolve(BundleFiles.ADDRESS).toString(), false, e.getMessage());
        }
        if (socket == null || !socketDir.equals(socket.getParent())) {
            return new StopResult.Step(action, String.valueOf(socket), true, "not a shim socket of " + socketDir + ": kept");
        }
        try (AutoCloseable locked = os.lockExclusive(socketDir)) {
            if (!isSocket(socket)) return new StopResult.Step(action, socket.toString(), true, "no socket there");
            if (answers.test(socket)) return new StopResult.Step(action, socket.toString(), true, "a shim serves it: kept");
            Files.delete(socket);
            return new StopResult.Step(action, socket.toString(), true, "removed: nothing accepted on it");
        } catch (Exception e) {
            return new StopResult.Step(action, socket.toString(), false, String.valueOf(e.getMessage()));
        }
    }

    /** The bundle's {@code address} file as written by {@code start}. */
    private static String readAddress(Path bundle) throws IOException {
        return Files.readString(bundle.resolve(BundleFiles.ADDRESS)).trim();
    }

    private static boolean isSocket(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) return false;
        int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (mode & S_IFMT) == S_IFSOCK;
    }

    /** The probe: a connection accepted (into the backlog) means a shim is behind the socket. */
    static boolean connects(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return false;
        }
    }
}
