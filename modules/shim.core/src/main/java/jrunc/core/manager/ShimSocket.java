package jrunc.core.manager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.OperatingSystem;

/**
 * The shim's socket file in {@code /run/containerd/s}, as {@code start} and {@code delete} handle it. A socket
 * nobody accepts on is left by a shim that was killed (containerd does not remove it, nor does Go's shim:
 * containerd#11292); {@code start} replaces it, {@code delete} removes it. Both ask the one {@link SocketProbe},
 * whose refusal must stand a moment before it is believed (a racing {@code start} refuses between its bind and its
 * listen), and both do so holding an flock on the socket directory, taken only once a socket file is known to be
 * there: neither can remove the fresh socket a concurrent {@code start} of the same group has just bound.
 */
public final class ShimSocket {
    private final OperatingSystem os;
    private final Path socketDir;
    private final Function<Path, SocketProbe.Result> probe;

    /** The socket directory containerd hard-codes, and the shared probe. */
    public ShimSocket(OperatingSystem os) {
        this(os, Path.of(SocketAddress.SOCKET_DIR), settled(new SocketProbe(os, SocketProbe.DEFAULT_TIMEOUT)));
    }

    /** @param probe what is behind a socket path, a refusal settled (the one probe start and delete use) */
    ShimSocket(OperatingSystem os, Path socketDir, Function<Path, SocketProbe.Result> probe) {
        this.os = os;
        this.socketDir = socketDir;
        this.probe = probe;
    }

    /** {@link SocketProbe#probeUntilSettled} with its standing time. */
    static Function<Path, SocketProbe.Result> settled(SocketProbe probe) {
        return socket -> probe.probeUntilSettled(socket, SocketProbe.SETTLE);
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
            SocketProbe.Result found = probe.apply(socket);
            // an unclear answer (no answer in time, a full backlog) counts as served: a socket a live shim may
            // still be serving is never replaced
            if (found.mayBeServed()) return new Binding.Served();
            if (found == SocketProbe.Result.NOT_A_SOCKET) {
                throw new IOException(socket + " exists and is not a socket: not replacing it");
            }
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
            Optional<String> address = new BundleReader(os).address(bundle);
            if (address.isEmpty()) {
                return new StopResult.Step(action, bundle.resolve(BundleFiles.ADDRESS).toString(), true, "no address file");
            }
            socket = SocketAddress.socketFile(address.get());
        } catch (IOException e) {
            return new StopResult.Step(action, bundle.resolve(BundleFiles.ADDRESS).toString(), false, e.getMessage());
        }
        return removeIfRefusing(socket);
    }

    /**
     * Removes {@code socket} if it lies in the socket directory, is a socket and nothing accepts on it (a refusal that
     * stands), under the directory's lock: what {@code delete} does with a bundle's socket, and a warm spare with
     * the socket of a task whose {@code start} died during the hand-off.
     */
    public StopResult.Step removeIfRefusing(Path socket) {
        String action = "remove-socket";
        if (socket == null || !socketDir.equals(socket.getParent())) {
            return new StopResult.Step(action, String.valueOf(socket), true, "not a shim socket of " + socketDir + ": kept");
        }
        try (AutoCloseable locked = os.lockExclusive(socketDir)) {
            String kept = switch (probe.apply(socket)) {
                case ACCEPTING, UNCLEAR -> "a shim may serve it: kept";
                case MISSING -> "no socket there";
                case NOT_A_SOCKET -> "not a socket: kept";
                case REFUSED -> null;
            };
            if (kept != null) return new StopResult.Step(action, socket.toString(), true, kept);
            Files.delete(socket);
            return new StopResult.Step(action, socket.toString(), true, "removed: nothing accepted on it");
        } catch (Exception e) {
            return new StopResult.Step(action, socket.toString(), false, String.valueOf(e.getMessage()));
        }
    }
}
