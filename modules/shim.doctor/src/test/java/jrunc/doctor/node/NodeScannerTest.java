package jrunc.doctor.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jrunc.core.doctor.Diagnosis;
import jrunc.core.doctor.Finding;
import jrunc.core.doctor.NodeSnapshot;
import jrunc.core.manager.SocketProbe.Result;
import jrunc.core.doctor.Scope;
import jrunc.core.manager.SocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeScannerTest {
    @TempDir Path tmp;

    @Test
    void liveAndDeadShimSocketsAreToldApartByConnecting() throws IOException {
        try (FakeNode node = new FakeNode(tmp)) {
            Path live = node.listen(node.sockets.resolve("live"));
            Path dead = FakeNode.deadSocket(node.sockets.resolve("dead"));
            Files.writeString(node.sockets.resolve("not-a-socket"), "x");
            NodeSnapshot snap = node.scanner(null).scan();
            assertEquals(Result.ACCEPTING, snap.sockets().get(live));
            assertEquals(Result.REFUSED, snap.sockets().get(dead));
            // lstat'ed, never connected to
            assertEquals(Result.NOT_A_SOCKET, snap.sockets().get(node.sockets.resolve("not-a-socket")));
        }
    }

    @Test
    void bundlesRuncStateAndProcessesAreRead() throws IOException {
        try (FakeNode node = new FakeNode(tmp)) {
            node.task("default", "up", true, 1);
            Path down = node.task("default", "down", false, 1);
            Files.createDirectories(node.bundle("default", ".gone").resolve("rootfs"));
            node.runcState("default", "down", 4242, 99);
            NodeSnapshot snap = node.scanner(null).scan();

            assertEquals(3, snap.bundles().size());
            NodeSnapshot.Bundle b = snap.bundles().stream().filter(x -> x.path().equals(down)).findFirst().orElseThrow();
            assertEquals(SocketAddress.UNIX_PREFIX + node.sockets.resolve(SocketAddress.hash(FakeNode.CONTAINERD, "default", "down")), b.address());
            assertEquals("1", b.initPid());
            assertEquals("/default/down", b.cgroupsPath());
            assertTrue(snap.bundles().stream().anyMatch(x -> x.hidden() && x.id().equals("gone")));
            assertEquals(List.of(new NodeSnapshot.RuncState("default", "down", node.runc.resolve("default/down"), true, 4242, 99, null)),
                    snap.runcStates());
            long self = ProcessHandle.current().pid();
            assertTrue(snap.processes().containsKey((int) self), "our own process is in the /proc pass");
            assertTrue(snap.processes().get(1).startTicks() >= 0);
        }
    }

    @Test
    void scanFeedsTheDiagnosisWhichSparesTheLiveBundle() throws IOException {
        try (FakeNode node = new FakeNode(tmp)) {
            node.task("default", "up", true, 1);
            node.task("default", "down", false, 1);
            Diagnosis d = Diagnosis.examine(node.scanner(null).scan(), Scope.ALL);
            assertTrue(d.findings().stream().map(Finding::id).allMatch("down"::equals), d.findings().toString());
            assertTrue(d.findings().stream().anyMatch(f -> f.kind().wireName().equals("orphaned-socket")));
            // pid 1 is init, not the container's: stale, never a container process
            assertTrue(d.findings().stream().anyMatch(f -> f.kind().wireName().equals("stale-init-pid")));
        }
    }

    @Test
    void namespaceFilterLeavesOtherNamespacesUnread() throws IOException {
        try (FakeNode node = new FakeNode(tmp)) {
            node.task("default", "a", false, 1);
            node.task("k8s.io", "b", false, 1);
            NodeSnapshot snap = node.scanner("k8s.io").scan();
            assertEquals(List.of("b"), snap.bundles().stream().map(NodeSnapshot.Bundle::id).toList());
        }
    }

    @Test
    void missingDirectoriesAreAnEmptyNode() throws IOException {
        NodeScanner.Options o = NodeScanner.Options.defaults(new jrunc.core.doctor.Roots(tmp.resolve("no-state"),
                tmp.resolve("no-s"), tmp.resolve("no-runc")), null);
        assertTrue(Diagnosis.examine(new NodeScanner(o, jrunc.core.spi.OperatingSystem.load()).scan(), Scope.ALL).clean());
    }
}
