package jrunc.core.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import jrunc.core.doctor.CleanAction.Type;
import jrunc.core.doctor.NodeSnapshot.ProcessInfo;
import jrunc.core.manager.SocketProbe.Result;
import org.junit.jupiter.api.Test;

/**
 * The doctor's small parts at their edges: the JSON names of kinds, actions and proofs (the schema), what a plan
 * and an action refuse to hold, /proc/pid/stat lines cut anywhere, shim argv in each of Go's flag forms, cgroup
 * paths in each of runc's forms, the roots' canonical checks.
 */
class DoctorPartsTest {

    @Test
    void theWireNamesArePartOfTheJsonSchema() {
        assertEquals(List.of("stop", "unmount", "kill", "shutdown-shim", "remove-socket", "remove-runc-state", "remove-bundle"),
                java.util.Arrays.stream(Type.values()).map(Type::wireName).toList());
        assertEquals(List.of("runc-start-time", "cgroup", "shim"),
                java.util.Arrays.stream(Leftover.Proof.values()).map(Leftover.Proof::wireName).toList());
    }

    @Test
    void aSignalNeedsAPidAboveOneAndAProof() {
        Path proc = Path.of("/proc/2");
        assertThrows(IllegalArgumentException.class,
                () -> new CleanAction("ns", "id", Type.KILL, Path.of("/proc/1"), 1, 5, Leftover.Proof.CGROUP, List.of(), "x"));
        assertThrows(IllegalArgumentException.class,
                () -> new CleanAction("ns", "id", Type.SHUTDOWN_SHIM, proc, 2, 5, null, List.of(), "x"));
        assertEquals(2, new CleanAction("ns", "id", Type.KILL, proc, 2, 5, Leftover.Proof.CGROUP, List.of(), "x").pid());
        assertEquals(0, new CleanAction("ns", "id", Type.REMOVE_BUNDLE, Path.of("/b"), "x").pid());
    }

    @Test
    void aCleanNodeHasAnEmptyPlanAndADeadBundleDoesNot() {
        Diagnosis clean = Diagnosis.examine(new NodeFixture().build(), Scope.ALL);
        assertTrue(clean.clean());
        assertTrue(CleanPlan.of(clean, null).isEmpty());
        Diagnosis dead = Diagnosis.examine(new NodeFixture().task("default", "web", 4000, Result.REFUSED).build(), Scope.ALL);
        assertFalse(dead.clean());
        assertFalse(CleanPlan.of(dead, null).isEmpty());
    }

    @Test
    void aFindingHoldsOnlyJsonValues() {
        assertThrows(IllegalArgumentException.class, () -> Finding.of("ns", "id", FindingKind.RUNC_STATE, Path.of("/x"), "d",
                "bad", new Object()));
        Finding f = Finding.of("ns", "id", FindingKind.RUNC_STATE, Path.of("/x"), "d", "a", 1, "skipped", null, "b", List.of("x"));
        assertEquals(List.of("a", "b"), List.copyOf(f.attributes().keySet()), "a null value is left out, the order kept");
        assertThrows(UnsupportedOperationException.class, () -> f.attributes().put("c", 2));
    }

    @Test
    void aStatLineCutAnywhereIsNoStatLine() {
        String full = "42 (a) b) S 7 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 123456 100 1";
        assertEquals(new ProcStat(7, 123456), ProcStat.parse(full));
        for (int cut = 0; cut < full.length(); cut++) {
            ProcStat p = ProcStat.parse(full.substring(0, cut));
            // either nothing, or the fields as far as they go: never another field taken for the start time
            assertTrue(p == null || p.ppid() == 7 && "123456".startsWith(Long.toString(p.startTicks())),
                    "cut at " + cut + ": " + p);
        }
        assertNull(ProcStat.parse("42 (noclose S 7"));
        assertNull(ProcStat.parse("42 (x)"));
        assertNull(ProcStat.parse("42 (x) S seven 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5"));
    }

    @Test
    void shimArgvInEachOfGosFlagForms() {
        assertEquals(new ShimArgv("ns", "c1", "/a.sock"), ShimArgv.parse(List.of("/usr/bin/containerd-shim-runc-v2",
                "-namespace=ns", "--id", "c1", "-debug", "-address", "/a.sock")));
        assertEquals(new ShimArgv("ns", "c1", "/a.sock"), ShimArgv.parse(List.of("/opt/jrunc/bin/java", "-Xss256k",
                "--namespace", "ns", "-id=c1", "--address=/a.sock")));
        assertNull(ShimArgv.parse(List.of("/usr/bin/containerd-shim-runc-v2", "-namespace", "ns", "-id", "c1",
                "-address", "/a.sock", "delete")), "a delete run is no daemon");
        assertNull(ShimArgv.parse(List.of("/usr/bin/containerd-shim-runc-v2", "-namespace", "ns", "-id", "c1", "-address")),
                "a flag without its value");
        assertNull(ShimArgv.parse(List.of("/usr/bin/java", "-jar", "x.jar")), "no namespace, no shim");
        assertNull(ShimArgv.parse(List.of()));
    }

    @Test
    void cgroupPathsInEachOfRuncsForms() {
        assertNull(ContainerMatch.cgroupOf(null));
        assertNull(ContainerMatch.cgroupOf(""));
        assertNull(ContainerMatch.cgroupOf("/"));
        assertNull(ContainerMatch.cgroupOf("/a/.."));
        assertEquals("/a/b", ContainerMatch.cgroupOf("a/b"));
        assertEquals("/a/b", ContainerMatch.cgroupOf("/a//b/"));
        assertEquals("/p-n.scope", ContainerMatch.cgroupOf("-.slice:p:n"));
        assertEquals("/a.slice/a-b.slice/cri-containerd-x.scope", ContainerMatch.cgroupOf("a-b.slice:cri-containerd:x"));
        assertEquals(Set.of("/a", "/b/c"), ContainerMatch.cgroupPaths("12:memory:/a\n0::/b/c\nbroken"));
        assertEquals(Set.of(), ContainerMatch.cgroupPaths(null));
        assertTrue(ContainerMatch.namesContainer("/default/web", "web"));
        assertTrue(ContainerMatch.namesContainer("/k/cri-containerd-web.scope", "web"));
        assertFalse(ContainerMatch.namesContainer("/default/web2", "web"));
        assertFalse(ContainerMatch.namesContainer("/default/web", ""));
    }

    @Test
    void anotherProcessIsDescribedOnOneShortLine() {
        assertEquals("a kernel thread or zombie", ContainerMatch.describe(new ProcessInfo(5, 1, List.of(), 1, null, null)));
        String longArgv = ContainerMatch.describe(new ProcessInfo(5, 1, List.of("x".repeat(100)), 1, null, null));
        assertEquals(60, longArgv.length());
        assertTrue(longArgv.endsWith("..."));
        assertEquals("x".repeat(60), ContainerMatch.describe(new ProcessInfo(5, 1, List.of("x".repeat(60)), 1, null, null)));
    }

    @Test
    void theRootsAreCanonicalAndTheirChecksExact() {
        assertThrows(IllegalArgumentException.class, () -> new Roots(Path.of("run/containerd"), Path.of("/s"), Path.of("/r")));
        assertThrows(IllegalArgumentException.class, () -> new Roots(Path.of("/run"), Path.of("/s/../s"), Path.of("/r")));
        assertThrows(IllegalArgumentException.class, () -> new Roots(Path.of("/run"), Path.of("/s"), Path.of("/r/./x")));
        Roots r = NodeFixture.ROOTS;
        Path bundle = r.tasksDir().resolve("ns").resolve("id");
        assertTrue(r.isBundleDir(bundle));
        assertFalse(r.isBundleDir(bundle.resolve("rootfs")));
        assertFalse(r.isBundleDir(r.tasksDir().resolve("ns")));
        assertTrue(r.isInsideBundle(bundle.resolve("rootfs")));
        assertFalse(r.isInsideBundle(bundle));
        assertFalse(r.isInsideBundle(Path.of(bundle + "/../../ns/id/rootfs")));
        assertTrue(r.isRuncStateDir(r.runcRoot().resolve("ns").resolve("id")));
        assertFalse(r.isRuncStateDir(r.runcRoot().resolve("ns")));
        assertFalse(r.isRuncStateDir(Path.of(r.runcRoot() + "/ns/../id")));
        assertTrue(r.isSocketFile(r.socketDir().resolve("abc")));
        assertFalse(r.isSocketFile(r.socketDir().resolve("a/b")));
    }

    @Test
    void aSocketNoBundleClaimsIsNamedByItsFileNameAndALeakedShimByAllItsBundles() {
        Path socket = NodeFixture.SOCKETS.resolve("abc");
        Leftover.OrphanSocket o = new Leftover.OrphanSocket(socket, List.of());
        assertEquals(List.of("abc"), o.ids());
        assertNull(o.namespace());
        assertNull(o.id());
        NodeSnapshot.Bundle a = NodeFixture.bundle("ns", "a", NodeFixture.bundlePath("ns", "a"), false, Set.of(), null, null, null, null);
        NodeSnapshot.Bundle b = NodeFixture.bundle("ns", "b", NodeFixture.bundlePath("ns", "b"), false, Set.of(), null, null, null, null);
        Leftover.LeakedShim s = new Leftover.LeakedShim("ns", "a", new Leftover.VerifiedProcess(9, 1, "w", Leftover.Proof.SHIM),
                socket, List.of(a, b), List.of());
        assertEquals(List.of("a", "b"), s.ids());
        Leftover.StrayRuncState stray = new Leftover.StrayRuncState(new NodeSnapshot.RuncState("ns", "x",
                NodeFixture.RUNC.resolve("ns/x"), true, 0, 0, null), List.of());
        assertEquals(List.of("ns", "x"), List.of(stray.namespace(), stray.id()));
    }
}
