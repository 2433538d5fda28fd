package jrunc.core.doctor;

import static jrunc.core.doctor.FindingKind.*;
import static jrunc.core.doctor.NodeFixture.bundlePath;
import static jrunc.core.doctor.NodeFixture.socketOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.manager.SocketProbe.Result;
import jrunc.core.manager.SocketAddress;
import org.junit.jupiter.api.Test;

class DiagnosisTest {

    private static List<String> kinds(Diagnosis d) {
        return d.findings().stream().map(f -> f.kind().wireName()).toList();
    }

    @Test
    void liveBundleIsNeitherReportedNorTouched() {
        NodeSnapshot node = new NodeFixture()
                .task("default", "web", 4000, Result.ACCEPTING)
                .runcState("default", "web", 4000, 777)
                .containerProcess("default", "web", 4000, 777)
                .goShim(3999, "default", "web")
                .build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertTrue(d.clean(), () -> "findings: " + d.findings());
        assertTrue(CleanPlan.of(d, null).isEmpty());
    }

    /** The usual crash: task {@code db}'s shim is gone, its rootfs mounted, runc state kept, its init (5000) alive. */
    private static NodeSnapshot deadTaskWithItsContainerRunning() {
        return new NodeFixture()
                .task("default", "db", 5000, Result.REFUSED)
                .runcState("default", "db", 5000, 4242)
                .containerProcess("default", "db", 5000, 4242)
                .build();
    }

    @Test
    void deadBundleReportsItsMountSocketRuncStateAndRunningContainer() {
        NodeSnapshot node = deadTaskWithItsContainerRunning();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertEquals(List.of("dead-shim-bundle", "rootfs-mount", "runc-state", "container-process", "orphaned-socket"),
                kinds(d));
        Finding dead = d.findings().getFirst();
        assertEquals("db", dead.id());
        assertEquals(bundlePath("default", "db"), dead.path());
        assertTrue(dead.detail().startsWith("shim gone: nothing accepts on"), dead.detail());
        Finding process = d.findings().get(3);
        assertEquals(5000, process.attributes().get("pid"));
        assertTrue(process.detail().contains("start time matches runc state"), process.detail());
        assertEquals(socketOf("default", "db"), d.findings().get(4).path());
    }

    @Test
    void deadBundlePlanRunsStopThenKillThenRemovesSocketStateAndBundle() {
        NodeSnapshot node = deadTaskWithItsContainerRunning();
        CleanPlan plan = CleanPlan.of(Diagnosis.examine(node, Scope.ALL), null);
        assertEquals(List.of(CleanAction.Type.STOP, CleanAction.Type.KILL, CleanAction.Type.REMOVE_SOCKET,
                CleanAction.Type.REMOVE_RUNC_STATE, CleanAction.Type.REMOVE_BUNDLE),
                plan.actions().stream().map(CleanAction::type).toList());
        CleanAction kill = plan.actions().get(1);
        assertEquals(5000, kill.pid());
        assertEquals(4242, kill.startTicks());
        assertTrue(plan.actions().getFirst().detail().contains("unmount 1 mount(s)"), plan.actions().getFirst().detail());
    }

    @Test
    void reusedInitPidIsReportedAsStaleAndNeverPlannedForAKill() {
        NodeSnapshot node = new NodeFixture()
                .task("default", "old", 6000, Result.MISSING)
                .runcState("default", "old", 6000, 1111)
                // pid 6000 now belongs to an unrelated daemon started later: another start time, another cgroup
                .process(6000, 9999, "0::/system.slice/sshd.service", "/", "/usr/sbin/sshd", "-D")
                .build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        Finding stale = d.findings().stream().filter(f -> f.kind() == STALE_INIT_PID).findFirst().orElseThrow();
        assertEquals("pid 6000 now belongs to another process (/usr/sbin/sshd -D)", stale.detail());
        assertTrue(d.findings().stream().noneMatch(f -> f.kind() == CONTAINER_PROCESS));
        assertTrue(CleanPlan.of(d, null).actions().stream().noneMatch(a -> a.type() == CleanAction.Type.KILL));
    }

    @Test
    void startTimeMismatchWinsOverASharedCgroup() {
        // A process in the container's cgroup but with another start time than runc recorded for that pid: a
        // recycled pid that landed in the same cgroup. The start time decides; it is not the init.
        NodeSnapshot node = new NodeFixture()
                .task("default", "x", 7000, Result.REFUSED)
                .runcState("default", "x", 7000, 1)
                .process(7000, 2, "0::/elsewhere", "/", "/bin/other")
                .build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertTrue(kinds(d).contains("stale-init-pid"));
        assertTrue(!kinds(d).contains("container-process"));
    }

    @Test
    void initPidThatIsNotRunningIsStale() {
        NodeSnapshot node = new NodeFixture().task("default", "gone", 8000, Result.REFUSED).build();
        Finding stale = Diagnosis.examine(node, Scope.ALL).findings().stream()
                .filter(f -> f.kind() == STALE_INIT_PID).findFirst().orElseThrow();
        assertEquals("pid 8000 is not running", stale.detail());
        assertEquals(bundlePath("default", "gone").resolve("init.pid"), stale.path());
    }

    @Test
    void containerProcessWithoutRuncStateIsVerifiedByItsCgroup() {
        NodeSnapshot node = new NodeFixture()
                .task("default", "c", 9000, Result.REFUSED)
                .process(9000, 50, "0::/default/c", "/", "sh")
                .process(9001, 51, "0::/default/c", "/", "sh", "-c", "exec'd")
                .build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        List<Object> pids = d.findings().stream().filter(f -> f.kind() == CONTAINER_PROCESS)
                .map(f -> f.attributes().get("pid")).toList();
        assertEquals(List.of(9000, 9001), pids);
    }

    @Test
    void hiddenBundleIsUnmountedAndRemovedButNeverStopped() {
        Path hidden = bundlePath("default", ".web");
        NodeSnapshot node = new NodeFixture()
                .task("default", "web", 4000, Result.ACCEPTING) // a new live task reusing the id
                .bundle(NodeFixture.bundle("default", "web", hidden, true, Set.of("rootfs", "config.json"), null, null, null, null))
                .mount(hidden.resolve("rootfs"), "overlay")
                .build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertEquals(List.of("hidden-bundle", "rootfs-mount"), kinds(d));
        assertEquals(hidden, d.findings().getFirst().path());
        CleanPlan plan = CleanPlan.of(d, null);
        assertEquals(List.of(CleanAction.Type.UNMOUNT, CleanAction.Type.REMOVE_BUNDLE),
                plan.actions().stream().map(CleanAction::type).toList());
        assertEquals(hidden, plan.actions().get(1).target());
    }

    @Test
    void socketNoBundleClaimsIsAnOrphanWithoutId() {
        Path stray = NodeFixture.SOCKETS.resolve("ab".repeat(32));
        NodeSnapshot node = new NodeFixture().socket(stray, Result.REFUSED)
                .socket(NodeFixture.SOCKETS.resolve("cd".repeat(32)), Result.ACCEPTING).build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertEquals(1, d.findings().size());
        Finding f = d.findings().getFirst();
        assertEquals(ORPHANED_SOCKET, f.kind());
        assertEquals(null, f.id());
        assertEquals(stray, f.path());
        assertEquals(List.of(CleanAction.Type.REMOVE_SOCKET),
                CleanPlan.of(d, null).actions().stream().map(CleanAction::type).toList());
    }

    @Test
    void bundleWithoutAddressFileIsMappedToItsSocketThroughTheGroupHash() {
        // The shim died inside start, after listening but before writing address: the hash of
        // <containerd address>/<ns>/<group> is the only link between the socket and the bundle.
        Path socket = socketOf("k8s.io", "pod-1");
        NodeSnapshot node = new NodeFixture()
                .bundle(NodeFixture.bundle("k8s.io", "app-1", bundlePath("k8s.io", "app-1"), false, Set.of("config.json"),
                        null, null, "pod-1", null))
                .socket(socket, Result.REFUSED)
                .build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertEquals(List.of("dead-shim-bundle", "orphaned-socket"), kinds(d));
        assertEquals("app-1", d.findings().get(1).id());
        assertEquals(socket, d.findings().get(1).path());
    }

    @Test
    void bundleWithoutAddressWhoseHashSocketAcceptsIsLive() {
        NodeSnapshot node = new NodeFixture()
                .bundle(NodeFixture.bundle("default", "starting", bundlePath("default", "starting"), false,
                        Set.of("config.json"), null, null, null, null))
                .socket(socketOf("default", "starting"), Result.ACCEPTING)
                .build();
        assertTrue(Diagnosis.examine(node, Scope.ALL).clean());
    }

    @Test
    void groupedSocketIsReportedOnceAndRemovedOnce() {
        Path podSocket = socketOf("k8s.io", "pod-2");
        String address = SocketAddress.UNIX_PREFIX + podSocket;
        NodeSnapshot node = new NodeFixture()
                .bundle(NodeFixture.bundle("k8s.io", "pause", bundlePath("k8s.io", "pause"), false, Set.of("address"), address, null, "pod-2", null))
                .bundle(NodeFixture.bundle("k8s.io", "app", bundlePath("k8s.io", "app"), false, Set.of("address"), address, null, "pod-2", null))
                .socket(podSocket, Result.REFUSED)
                .build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        List<Finding> sockets = d.findings().stream().filter(f -> f.kind() == ORPHANED_SOCKET).toList();
        assertEquals(1, sockets.size());
        assertEquals("app", sockets.getFirst().id());
        assertEquals(List.of("app", "pause"), sockets.getFirst().attributes().get("bundles"));
        assertEquals(1, CleanPlan.of(d, null).actions().stream().filter(a -> a.type() == CleanAction.Type.REMOVE_SOCKET).count());
    }

    @Test
    void goShimAndJavaShimBundlesAreJudgedAlike() {
        NodeSnapshot node = new NodeFixture()
                .task("default", "go-dead", 100, Result.REFUSED)
                .task("default", "java-dead", 200, Result.REFUSED)
                .task("default", "go-live", 300, Result.ACCEPTING)
                .task("default", "java-live", 400, Result.ACCEPTING)
                .goShim(301, "default", "go-live")
                .process(401, 5, "0::/", "/", "/opt/jrunc/bin/java", "-XX:AOTCache=x", "-m",
                        "shim.cli/jrunc.cli.ShimMain", "-namespace", "default", "-id", "java-live", "-address",
                        NodeFixture.CONTAINERD)
                .build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertEquals(List.of("go-dead", "java-dead"), d.findings().stream()
                .filter(f -> f.kind() == DEAD_SHIM_BUNDLE).map(Finding::id).toList());
    }

    @Test
    void namespaceFilterKeepsOnlyThatNamespaceAndNoUnattributedSockets() {
        NodeSnapshot node = new NodeFixture()
                .task("default", "a", 100, Result.REFUSED)
                .task("k8s.io", "b", 200, Result.REFUSED)
                .socket(NodeFixture.SOCKETS.resolve("ef".repeat(32)), Result.REFUSED)
                .build();
        Diagnosis d = Diagnosis.examine(node, new Scope("k8s.io", Set.of()));
        assertTrue(d.findings().stream().allMatch(f -> "k8s.io".equals(f.namespace())), () -> d.findings().toString());
        assertTrue(kinds(d).contains("dead-shim-bundle"));
    }

    @Test
    void idFilterKeepsOnlyTheNamedLeftovers() {
        NodeSnapshot node = new NodeFixture()
                .task("default", "a", 100, Result.REFUSED)
                .task("default", "b", 200, Result.REFUSED)
                .build();
        Diagnosis d = Diagnosis.examine(node, new Scope(null, Set.of("b")));
        assertTrue(d.findings().stream().allMatch(f -> "b".equals(f.id())));
        assertTrue(CleanPlan.of(d, null).actions().stream().allMatch(a -> "b".equals(a.id())));
    }

    @Test
    void leakedShimIsReportedButKilledOnlyWhenNamed() {
        Path socket = socketOf("default", "ghost");
        NodeSnapshot node = new NodeFixture().goShim(1234, "default", "ghost").socket(socket, Result.ACCEPTING).build();
        Diagnosis all = Diagnosis.examine(node, Scope.ALL);
        assertEquals(List.of("leaked-shim"), kinds(all));
        assertEquals(1234, all.findings().getFirst().attributes().get("pid"));
        assertTrue(CleanPlan.of(all, null).isEmpty());

        CleanPlan named = CleanPlan.of(Diagnosis.examine(node, new Scope(null, Set.of("ghost"))), null);
        assertEquals(List.of(CleanAction.Type.SHUTDOWN_SHIM, CleanAction.Type.REMOVE_SOCKET),
                named.actions().stream().map(CleanAction::type).toList());
        assertEquals(Leftover.Proof.SHIM, named.actions().getFirst().proof());
    }

    @Test
    void shimServingATaskIsNotLeaked() {
        NodeSnapshot node = new NodeFixture().task("default", "busy", 10, Result.ACCEPTING).goShim(11, "default", "busy").build();
        assertTrue(Diagnosis.examine(node, Scope.ALL).clean());
    }

    @Test
    void aGroupedShimWhoseBundlesAreAllGoneIsLeakedThroughTheSocketItListensOn() {
        Path podSocket = socketOf("k8s.io", "pod-1");
        NodeSnapshot node = new NodeFixture().goShim(2000, "k8s.io", "pause-1")
                .socket(podSocket, Result.ACCEPTING).listening(2000, podSocket).build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertEquals(List.of("leaked-shim"), kinds(d));
        assertEquals(podSocket.toString(), d.findings().getFirst().attributes().get("socket"));
    }

    @Test
    void aGroupedShimStillNamedByAnotherBundleOfItsPodIsNotLeaked() {
        Path podSocket = socketOf("k8s.io", "pod-1");
        // the pause container's bundle (the shim's own -id) is gone; an app container of the pod still names the socket
        Bundle app = NodeFixture.bundle("k8s.io", "app-1", bundlePath("k8s.io", "app-1"), false, Set.of("address", "config.json"),
                SocketAddress.UNIX_PREFIX + podSocket, "42", "pod-1", "/k8s.io/app-1");
        NodeSnapshot node = new NodeFixture().bundle(app).goShim(2000, "k8s.io", "pause-1")
                .socket(podSocket, Result.ACCEPTING).listening(2000, podSocket).build();
        assertTrue(Diagnosis.examine(node, Scope.ALL).clean(), () -> kinds(Diagnosis.examine(node, Scope.ALL)).toString());
    }

    @Test
    void runcStateWithoutBundleIsReportedOnlyWhenItsContainerIsGone() {
        NodeSnapshot node = new NodeFixture()
                .runcState("default", "stale", 500, 10)
                .runcState("default", "someone-elses-live-task", 600, 20)
                .process(600, 20, "0::/default/someone-elses-live-task", "/x", "nginx")
                .build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertEquals(List.of("stale"), d.findings().stream().map(Finding::id).toList());
        assertEquals(RUNC_STATE, d.findings().getFirst().kind());
    }
}
