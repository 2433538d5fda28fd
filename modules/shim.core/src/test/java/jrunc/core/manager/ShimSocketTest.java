package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.*;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** delete's removal of a socket nobody answers on, with real Unix sockets and the real probe. */
class ShimSocketTest {
    @TempDir Path dir;
    private Path socketDir, bundle;
    private final FakeOs os = new FakeOs();
    private ShimSocket sockets;

    @BeforeEach
    void setUp() throws Exception {
        socketDir = Files.createDirectories(dir.resolve("s"));
        bundle = Files.createDirectories(dir.resolve("b"));
        sockets = new ShimSocket(os, socketDir, ShimSocket.settled(new SocketProbe(os, SocketProbe.DEFAULT_TIMEOUT)));
    }

    private Path socket(String name) throws Exception {
        Path socket = socketDir.resolve(name);
        Files.writeString(bundle.resolve("address"), "unix://" + socket);
        return socket;
    }

    /** A socket file whose listener is gone, as a SIGKILLed shim leaves it. */
    private static void deadSocketAt(Path socket) throws Exception {
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        ch.bind(UnixDomainSocketAddress.of(socket));
        ch.close(); // the file stays
    }

    @Test
    void aSocketNobodyAcceptsOnIsRemovedUnderTheDirectoryLock() throws Exception {
        Path socket = socket("dead");
        deadSocketAt(socket);
        StopResult.Step step = sockets.removeIfDead(bundle);
        assertTrue(step.ok(), step.toString());
        assertFalse(Files.exists(socket));
        assertEquals(List.of(socketDir), os.locks);
    }

    @Test
    void aSocketAShimAcceptsOnIsKept() throws Exception {
        Path socket = socket("live");
        try (ServerSocketChannel live = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            live.bind(UnixDomainSocketAddress.of(socket));
            StopResult.Step step = sockets.removeIfDead(bundle);
            assertTrue(step.ok());
            assertEquals("a shim may serve it: kept", step.detail());
            assertTrue(Files.exists(socket));
        }
        Files.deleteIfExists(socket);
    }

    @Test
    void onlySocketsInTheSocketDirectoryAreEverRemoved() throws Exception {
        Path elsewhere = dir.resolve("other.sock");
        deadSocketAt(elsewhere);
        Files.writeString(bundle.resolve("address"), "unix://" + elsewhere);
        assertTrue(sockets.removeIfDead(bundle).ok());
        assertTrue(Files.exists(elsewhere), "a socket outside " + socketDir + " is not ours to remove");
    }

    @Test
    void aRegularFileWhereTheSocketShouldBeIsLeftAlone() throws Exception {
        Path file = socket("not-a-socket");
        Files.writeString(file, "x");
        assertEquals("not a socket: kept", sockets.removeIfDead(bundle).detail());
        assertTrue(Files.exists(file));
    }

    @Test
    void aBundleWithoutAnAddressFileIsNoFailure() {
        StopResult.Step step = sockets.removeIfDead(bundle);
        assertTrue(step.ok());
        assertEquals("no address file", step.detail());
    }
}
