package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import jrunc.core.manager.SocketProbe.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SocketProbeTest {
    @TempDir Path dir;
    private final SocketProbe probe = new SocketProbe(new FakeOs(), Duration.ofMillis(100));

    @Test
    void acceptingRefusedMissingAndNotASocketAreToldApart() throws Exception {
        Path live = dir.resolve("live"), dead = dir.resolve("dead");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(live));
            assertEquals(Result.ACCEPTING, probe.probe(live));
        }
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(dead));
        }
        assertEquals(Result.REFUSED, probe.probe(dead));
        assertEquals(Result.MISSING, probe.probe(dir.resolve("none")));
        // a regular file answers ECONNREFUSED to connect(2): it is never even tried
        assertEquals(Result.NOT_A_SOCKET, probe.probe(Files.writeString(dir.resolve("etc-file"), "precious")));
        assertEquals(Result.NOT_A_SOCKET, probe.probe(Files.createSymbolicLink(dir.resolve("link"), dead)));
    }

    /** Whatever start and the doctor make of a socket, an unclear answer is never "dead". */
    @Test
    void aListenerWithAFullBacklogIsUnclearAndCountsAsServed() throws Exception {
        Path busy = dir.resolve("busy");
        List<SocketChannel> clients = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(busy), 1);
            // fill the backlog: nobody accepts
            for (int i = 0; i < 64; i++) {
                SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
                c.configureBlocking(false);
                clients.add(c);
                try {
                    if (!c.connect(UnixDomainSocketAddress.of(busy))) break;
                } catch (java.io.IOException full) {
                    break;
                }
            }
            Result r = probe.probe(busy);
            assertTrue(r.mayBeServed(), "a listener with a full backlog is " + r);
        } finally {
            for (SocketChannel c : clients) c.close();
        }
        assertFalse(Result.REFUSED.mayBeServed());
        assertFalse(Result.NOT_A_SOCKET.mayBeServed());
    }
}
