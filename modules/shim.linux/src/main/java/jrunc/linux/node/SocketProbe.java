package jrunc.linux.node;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import jrunc.core.doctor.NodeSnapshot.Probe;

/**
 * Asks a Unix socket whether anyone is behind it, the way users do with {@code socat - UNIX-CONNECT:} (containerd
 * issue 5173): connect and close. ECONNREFUSED is the only answer taken as "dead"; anything else unclear (a full
 * backlog, a timeout, a permission error) counts as alive, because a live shim must never be taken for a dead one.
 */
final class SocketProbe {
    private final Duration timeout;

    SocketProbe(Duration timeout) {
        this.timeout = timeout;
    }

    Probe probe(Path socket) {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) return Probe.MISSING;
        // Non-blocking: a blocking connect to a listener whose backlog is full waits until it accepts.
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.configureBlocking(false);
            if (ch.connect(UnixDomainSocketAddress.of(socket))) return Probe.ACCEPTING;
            try (Selector selector = Selector.open()) {
                ch.register(selector, SelectionKey.OP_CONNECT);
                if (selector.select(Math.max(1, timeout.toMillis())) == 0) return Probe.ACCEPTING;
                ch.finishConnect(); // throws ConnectException when refused
                return Probe.ACCEPTING;
            }
        } catch (ConnectException e) {
            return Probe.REFUSED;
        } catch (IOException e) {
            return Files.exists(socket, LinkOption.NOFOLLOW_LINKS) ? Probe.ACCEPTING : Probe.MISSING;
        }
    }
}
