package jrunc.core.doctor;

import static jrunc.core.doctor.NodeFixture.LONG_AGO;
import static jrunc.core.doctor.NodeFixture.bundlePath;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.doctor.NodeSnapshot.RuncState;
import jrunc.core.manager.SocketProbe.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What the doctor says of a bundle whose shim is gone, in the words an operator reads: why it judged the shim gone
 * (no address, an address it cannot follow, a socket that is missing, not a socket, or refusing), and that a
 * bundle naming its own runc binary is reported as one the Stop path will not run; what runc still holds, and
 * whose address a refusing socket is (one bundle's, or a pod's, reported once).
 */
class DeadBundleWordsTest {
    private static final Path SOCKET = NodeFixture.SOCKETS.resolve("0123abcd");

    private static Bundle bundle(String address, String runtime) {
        return new Bundle("default", "db", bundlePath("default", "db"), false, Set.of("config.json", "init.pid"),
                address, "5000", null, "/default/db", runtime, LONG_AGO, Map.of());
    }

    private static Finding deadFinding(NodeFixture node) {
        Diagnosis d = Diagnosis.examine(node.build(), Scope.ALL);
        return d.findings().stream().filter(f -> f.kind() == FindingKind.DEAD_SHIM_BUNDLE).findFirst()
                .orElseThrow(() -> new AssertionError("no dead-shim-bundle in " + d.findings()));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            missing socket     | unix:///run/containerd/s/0123abcd | MISSING      | shim gone: socket /run/containerd/s/0123abcd does not exist
            not a socket       | unix:///run/containerd/s/0123abcd | NOT_A_SOCKET | address names /run/containerd/s/0123abcd, which is not a socket
            refused            | unix:///run/containerd/s/0123abcd | REFUSED      | shim gone: nothing accepts on /run/containerd/s/0123abcd
            outside the root   | unix:///tmp/elsewhere.sock        | REFUSED      | shim gone: nothing accepts on /tmp/elsewhere.sock (outside the socket directory: left alone)
            not unix           | tcp://127.0.0.1:1234              | REFUSED      | address tcp://127.0.0.1:1234 is not a unix:// path
            """)
    void theShimIsJudgedGoneInWordsThatSayWhy(String name, String address, Result probe, String why) {
        String path = address.startsWith("unix://") ? address.substring("unix://".length()) : "/unused";
        Finding dead = deadFinding(new NodeFixture().bundle(bundle(address, null)).socket(Path.of(path), probe));
        assertEquals(why, dead.detail());
        assertEquals(address, dead.attributes().get("address"));
    }

    @Test
    void aBundleWithoutAnAddressNeverFinishedStart() {
        Finding dead = deadFinding(new NodeFixture().bundle(bundle(null, null)));
        assertEquals("no address file: the shim never finished start", dead.detail());
        assertEquals(List.of("config.json", "init.pid"), dead.attributes().get("files"));
    }

    @Test
    void aBundleNamingItsOwnRuncIsReportedAsOneTheStopPathWillNotRun() {
        Diagnosis d = Diagnosis.examine(new NodeFixture().bundle(bundle("unix://" + SOCKET, "/opt/evil/runc"))
                .socket(SOCKET, Result.REFUSED).build(), Scope.ALL);
        List<Finding> untrusted = d.findings().stream().filter(f -> f.kind() == FindingKind.UNTRUSTED_RUNTIME).toList();
        assertEquals(1, untrusted.size(), () -> "findings: " + d.findings());
        assertEquals(bundlePath("default", "db").resolve("runtime"), untrusted.getFirst().path());
        assertEquals("/opt/evil/runc: the Stop path will not run it", untrusted.getFirst().detail());
        Diagnosis trusted = Diagnosis.examine(new NodeFixture().bundle(bundle("unix://" + SOCKET, null))
                .socket(SOCKET, Result.REFUSED).build(), Scope.ALL);
        assertEquals(List.of(), trusted.findings().stream().filter(f -> f.kind() == FindingKind.UNTRUSTED_RUNTIME).toList());
    }

    @Test
    void runcStateIsReportedWithItsInitOrAsUnreadable() {
        Path dir = NodeFixture.RUNC.resolve("default").resolve("db");
        Finding held = runcFinding(new RuncState("default", "db", dir, true, 5000, 42, bundlePath("default", "db")));
        assertEquals("runc still holds state for the container (init pid 5000)", held.detail());
        assertEquals(5000, held.attributes().get("initPid"));
        assertEquals(dir, held.path());
        Finding unreadable = runcFinding(new RuncState("default", "db", dir, false, 0, 0, bundlePath("default", "db")));
        assertEquals("runc state directory without a readable state.json", unreadable.detail());
        assertEquals(null, unreadable.attributes().get("initPid"));
    }

    private static Finding runcFinding(RuncState r) {
        Diagnosis d = Diagnosis.examine(new NodeFixture().bundle(bundle("unix://" + SOCKET, null))
                .socket(SOCKET, Result.REFUSED).runcState(r).build(), Scope.ALL);
        return d.findings().stream().filter(f -> f.kind() == FindingKind.RUNC_STATE).findFirst()
                .orElseThrow(() -> new AssertionError("no runc-state in " + d.findings()));
    }

    @Test
    void aSocketLeftByOneBundleOrByAPodSaysWhoseAddressItIs() {
        Finding alone = orphanedSockets(new NodeFixture().bundle(bundle("unix://" + SOCKET, null))).getFirst();
        assertEquals("nothing accepts; the address of this bundle", alone.detail());
        assertEquals(List.of("db"), alone.attributes().get("bundles"));

        Bundle other = new Bundle("default", "cache", bundlePath("default", "cache"), false, Set.of("config.json"),
                "unix://" + SOCKET, "5001", null, "/default/cache", null, LONG_AGO, Map.of());
        List<Finding> shared = orphanedSockets(new NodeFixture().bundle(bundle("unix://" + SOCKET, null)).bundle(other));
        assertEquals(1, shared.size(), () -> "reported once: " + shared);
        assertEquals("cache", shared.getFirst().id(), "under the first bundle by id");
        assertEquals("nothing accepts; the address of 2 bundles", shared.getFirst().detail());
        assertEquals(List.of("cache", "db"), shared.getFirst().attributes().get("bundles"));
    }

    private static List<Finding> orphanedSockets(NodeFixture node) {
        Diagnosis d = Diagnosis.examine(node.socket(SOCKET, Result.REFUSED).build(), Scope.ALL);
        return d.findings().stream().filter(f -> f.kind() == FindingKind.ORPHANED_SOCKET).toList();
    }
}
