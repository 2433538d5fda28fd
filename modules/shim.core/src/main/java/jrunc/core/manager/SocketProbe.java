package jrunc.core.manager;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.FileStat;
import jrunc.core.spi.OperatingSystem;

/**
 * Asks a shim socket whether anyone is behind it, the way containerd's {@code CanConnect} and users with
 * {@code socat - UNIX-CONNECT:} do (containerd v1.6.20 runtime/v2/shim/util_unix.go): connect and close. Shared by
 * the shim's {@code start} (may it replace a socket file?) and shim-doctor (is this bundle's shim dead?).
 *
 * <p>The policy for an unclear answer is explicit: only ECONNREFUSED on a file that {@code lstat} shows to be a
 * socket is "dead" ({@link Result#REFUSED}). A timeout, a full backlog, a permission error is
 * {@link Result#UNCLEAR}, which every caller treats as served: a live shim must never be taken for a dead one
 * (containerd's {@code CanConnect} takes a timeout for "cannot connect"; we do not). A path that is not a socket is
 * never connected to.
 */
public final class SocketProbe {
    /** What one probe found. */
    public enum Result {
        /** Something accepted the connection. */
        ACCEPTING,
        /** ECONNREFUSED: a socket file nobody listens on, what a SIGKILLed shim leaves. */
        REFUSED,
        /** No answer within the timeout, a full backlog, a permission error: may well be served. */
        UNCLEAR,
        /** Nothing at that path. */
        MISSING,
        /** The path is no socket (a regular file, a FIFO, a link…): never connected to, never removed. */
        NOT_A_SOCKET;

        /** Someone may serve on it: it is never replaced or removed, and its bundle counts as live. */
        public boolean mayBeServed() {
            return this == ACCEPTING || this == UNCLEAR;
        }
    }

    /** containerd's own {@code CanConnect} timeout. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(100);

    private final OperatingSystem os;
    private final Duration timeout;

    public SocketProbe(OperatingSystem os, Duration timeout) {
        this.os = os;
        this.timeout = timeout;
    }

    public Result probe(Path socket) {
        Result type = type(socket);
        if (type != null) return type;
        // Non-blocking: a blocking connect to a listener whose backlog is full waits until it accepts.
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.configureBlocking(false);
            if (ch.connect(UnixDomainSocketAddress.of(socket))) return Result.ACCEPTING;
            try (Selector selector = Selector.open()) {
                ch.register(selector, SelectionKey.OP_CONNECT);
                if (selector.select(Math.max(1, timeout.toMillis())) == 0) return Result.UNCLEAR;
                ch.finishConnect(); // throws ConnectException when refused
                return Result.ACCEPTING;
            }
        } catch (ConnectException e) {
            Result now = type(socket);
            return now != null ? now : Result.REFUSED;
        } catch (IOException | RuntimeException e) {
            Result now = type(socket);
            return now != null ? now : Result.UNCLEAR;
        }
    }

    /**
     * {@link #probe}, except that a refusal must stand for {@code patience} before it is believed. A socket bound a
     * moment ago refuses until its owner calls listen(2) (a racing {@code start} of the same group, between its
     * bind and its listen): whoever is about to replace or remove the file waits that out first.
     */
    public Result probeUntilSettled(Path socket, Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        Result r = probe(socket);
        while (r == Result.REFUSED && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Result.UNCLEAR;
            }
            r = probe(socket);
        }
        return r;
    }

    /** How long a refusal must stand before a socket file is replaced or removed. */
    public static final Duration SETTLE = Duration.ofMillis(500);

    /** MISSING or NOT_A_SOCKET from lstat, or null when it is a socket (or lstat itself failed: probe it). */
    private Result type(Path socket) {
        try {
            return os.lstat(socket).type() == FileStat.Type.SOCKET ? null : Result.NOT_A_SOCKET;
        } catch (ErrnoException e) {
            return e.errno() == ErrnoException.ENOENT || e.errno() == ErrnoException.ENOTDIR ? Result.MISSING : null;
        } catch (IOException e) {
            return null;
        }
    }
}
