package jrunc.doctor.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixListenersTest {

    @Test
    void keepsListeningFilesystemSocketsOnly() {
        String text = """
                Num       RefCount Protocol Flags    Type St Inode Path
                0000000000000000: 00000002 00000000 00010000 0001 01 4711 /run/containerd/s/abc
                0000000000000000: 00000003 00000000 00000000 0001 03 4712 /run/containerd/s/abc
                0000000000000000: 00000002 00000000 00010000 0001 01 4713 @/containerd-shim/x.sock
                0000000000000000: 00000002 00000000 00000000 0002 01 4714
                0000000000000000: 00000002 00000000 00010000 0001 01 4715 /tmp/with space.sock
                """;
        assertEquals(Map.of(4711L, Path.of("/run/containerd/s/abc"), 4715L, Path.of("/tmp/with space.sock")),
                UnixListeners.listening(text));
    }

    @Test
    void findsTheSocketThisProcessListensOn(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("shim.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            client.connect(UnixDomainSocketAddress.of(socket)); // a connected socket must not be taken for the listener
            int self = (int) ProcessHandle.current().pid();
            assertEquals(Map.of(self, socket), UnixListeners.of(Path.of("/proc"), List.of(self)));
        }
    }

    @Test
    void aGoneProcessIsSimplyLeftOut() {
        assertEquals(Map.of(), UnixListeners.of(Path.of("/proc"), List.of(Integer.MAX_VALUE)));
    }
}
