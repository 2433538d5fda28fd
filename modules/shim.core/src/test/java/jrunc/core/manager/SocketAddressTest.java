package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SocketAddressTest {

    @Test
    void matchesTheContractsWorkedExample() {
        assertEquals("unix:///run/containerd/s/12117510a54ae87cb9f59e68c4b6897783ff70cec968b5b5967a0a0cd503057e",
                SocketAddress.of("/run/containerd/containerd.sock", "default", "demo"));
    }

    @Test
    void joinsLikeGoFilepathJoinSoSlashesDoNotChangeTheHash() {
        String clean = SocketAddress.of("/run/containerd/containerd.sock", "default", "demo");
        assertEquals(clean, SocketAddress.of("/run/containerd//containerd.sock/", "default", "demo"));
        assertEquals(clean, SocketAddress.of("/run/./containerd/x/../containerd.sock", "default", "demo"));
        assertNotEquals(clean, SocketAddress.of("/run/containerd/containerd.sock", "default", "demo2"));
    }

    @Test
    void goCleanFollowsGo() {
        assertEquals("/", SocketAddress.goClean("/.."));
        assertEquals("../a", SocketAddress.goClean("../a"));
        assertEquals(".", SocketAddress.goClean(""));
        assertEquals("a/c", SocketAddress.goClean("a/b/../c/."));
        assertEquals("/a", SocketAddress.goJoin("/", "", "a"));
    }

    @Test
    void pathStripsTheUnixScheme() {
        assertEquals(Path.of("/run/containerd/s/abc"), SocketAddress.path("unix:///run/containerd/s/abc"));
        assertThrows(IllegalArgumentException.class, () -> SocketAddress.path("\0/containerd-shim/x.sock"));
    }
}
