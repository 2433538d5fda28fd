package jrunc.core.doctor;

import static jrunc.core.doctor.NodeFixture.bundlePath;
import static jrunc.core.doctor.NodeFixture.socketOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jrunc.core.doctor.CleanAction.Type;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.doctor.NodeSnapshot.RuncState;
import jrunc.core.doctor.NodeSnapshot.ShimAnswer;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.SocketProbe.Result;
import org.junit.jupiter.api.Test;

/** The diagnosis on nodes laid out to fool it: each rule of docs/shim-doctor.md against the layout it guards. */
class HostileNodeTest {

    private static List<String> kinds(Diagnosis d) {
        return d.findings().stream().map(f -> f.kind().wireName()).toList();
    }

    private static List<Type> plan(Diagnosis d) {
        return CleanPlan.of(d, null).actions().stream().map(CleanAction::type).toList();
    }

    private static Bundle deadBundle(String id, String initPid, String cgroupsPath) {
        return NodeFixture.bundle("default", id, bundlePath("default", id), false, Set.of("address", "init.pid"),
                SocketAddress.UNIX_PREFIX + socketOf("default", id), initPid, null, cgroupsPath);
    }

    @Test
    void aRootCgroupWithInitPidOneProvesNothingAndNothingIsKilled() {
        NodeSnapshot node = new NodeFixture().bundle(deadBundle("root", "1", "/"))
                .socket(socketOf("default", "root"), Result.REFUSED)
                .process(4000, 7, "0::/", "/", "sleep", "600") // a bystander in the root cgroup
                .build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertTrue(!kinds(d).contains("container-process"), kinds(d).toString());
        assertTrue(plan(d).stream().noneMatch(t -> t == Type.KILL), plan(d).toString());
    }

    @Test
    void aCgroupHoldingTheDoctorOrAnAncestorIsNoContainersCgroup() {
        for (String cgroup : List.of("/user.slice", "user.slice", "/user.slice/../user.slice")) {
            NodeSnapshot node = new NodeFixture().bundle(deadBundle("mine", "4001", cgroup))
                    .socket(socketOf("default", "mine"), Result.REFUSED)
                    .process(4001, 7, "0::/user.slice", "/", "sleep", "600")
                    .build();
            Diagnosis d = Diagnosis.examine(node, Scope.ALL);
            assertTrue(plan(d).stream().noneMatch(t -> t == Type.KILL), cgroup + ": " + plan(d));
            assertTrue(kinds(d).contains("stale-init-pid"), kinds(d).toString());
        }
    }

    @Test
    void aCgroupNotNamedAfterTheContainerProvesNothingSoContainerdInItIsNeverKilled() {
        // a spec that put the container into containerd's own cgroup; the shim died, and so did the container
        NodeSnapshot node = new NodeFixture().bundle(deadBundle("web", "700", "/system.slice/containerd.service"))
                .socket(socketOf("default", "web"), Result.REFUSED)
                .process(700, 5, "0::/system.slice/containerd.service", "/", "/usr/bin/containerd")
                .build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertTrue(plan(d).stream().noneMatch(t -> t == Type.KILL), plan(d).toString());
        assertTrue(kinds(d).contains("stale-init-pid"), kinds(d).toString());
    }

    @Test
    void aCgroupAnotherBundleNamesProvesNothingItMayBeALiveTasks() {
        String shared = "kubepods-besteffort-pod1.slice:cri-containerd:web";
        Bundle live = NodeFixture.bundle("k8s.io", "web", bundlePath("k8s.io", "web"), false, Set.of("address", "init.pid"),
                SocketAddress.UNIX_PREFIX + socketOf("k8s.io", "web"), "4100", null, shared);
        NodeSnapshot node = new NodeFixture().bundle(deadBundle("web", "4001", shared)).bundle(live)
                .socket(socketOf("default", "web"), Result.REFUSED).socket(socketOf("k8s.io", "web"), Result.ACCEPTING)
                .process(4100, 7, "0::" + ContainerMatch.cgroupOf(shared), "/", "sleep", "600")
                .build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertTrue(plan(d).stream().noneMatch(t -> t == Type.KILL), plan(d).toString());
    }

    @Test
    void aCgroupNamedAfterTheContainerAsTheCriPluginNamesItProvesItsProcesses() {
        String cri = "kubepods-besteffort-pod1.slice:cri-containerd:web";
        NodeSnapshot node = new NodeFixture().bundle(deadBundle("web", "4001", cri))
                .socket(socketOf("default", "web"), Result.REFUSED)
                .process(4001, 7, "0::" + ContainerMatch.cgroupOf(cri), "/", "sleep", "600")
                .build();
        List<CleanAction> kills = CleanPlan.of(Diagnosis.examine(node, Scope.ALL), null).actions().stream()
                .filter(a -> a.type() == Type.KILL).toList();
        assertEquals(1, kills.size(), kills.toString());
        assertEquals(4001, kills.getFirst().pid());
        assertEquals(Leftover.Proof.CGROUP, kills.getFirst().proof());
    }

    @Test
    void initPidNamingTheDoctorOrItsParentIsStaleNeverKilledEvenWithRuncsStartTime() {
        NodeSnapshot node = new NodeFixture().bundle(deadBundle("self", Integer.toString(NodeFixture.DOCTOR_PARENT), "/default/self"))
                .socket(socketOf("default", "self"), Result.REFUSED)
                .runcState("default", "self", NodeFixture.DOCTOR_PARENT, 900)
                .build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertTrue(plan(d).stream().noneMatch(t -> t == Type.KILL), plan(d).toString());
    }

    @Test
    void anAddressNamingARegularFileOutsideTheSocketDirectoryIsNeverRemoved() {
        Path precious = Path.of("/etc/precious.conf");
        Bundle b = NodeFixture.bundle("default", "evil", bundlePath("default", "evil"), false, Set.of("address"),
                SocketAddress.UNIX_PREFIX + precious, null, null, null);
        NodeSnapshot node = new NodeFixture().bundle(b).socket(precious, Result.NOT_A_SOCKET).build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertEquals(List.of("dead-shim-bundle"), kinds(d));
        assertTrue(d.findings().getFirst().detail().contains("not a socket"), d.findings().getFirst().detail());
        assertEquals(List.of(Type.STOP, Type.REMOVE_BUNDLE), plan(d));
    }

    @Test
    void aDeadSocketOutsideTheSocketDirectoryIsNotOurs() {
        Path elsewhere = Path.of("/tmp/other.sock");
        Bundle b = NodeFixture.bundle("default", "away", bundlePath("default", "away"), false, Set.of("address"),
                SocketAddress.UNIX_PREFIX + elsewhere, null, null, null);
        Diagnosis d = Diagnosis.examine(new NodeFixture().bundle(b).socket(elsewhere, Result.REFUSED).build(), Scope.ALL);
        assertTrue(plan(d).stream().noneMatch(t -> t == Type.REMOVE_SOCKET), plan(d).toString());
    }

    @Test
    void aBundleWithAFileThatCannotBeReadSafelyIsReportedAndLeftAlone() {
        Bundle b = new Bundle("default", "fifo", bundlePath("default", "fifo"), false, Set.of("address", "init.pid"),
                null, null, null, null, null, NodeFixture.LONG_AGO, Map.of("address", "address is a FIFO, not a regular file: not read"));
        Diagnosis d = Diagnosis.examine(new NodeFixture().bundle(b).build(), Scope.ALL);
        assertEquals(List.of("unreadable-file"), kinds(d));
        assertEquals(bundlePath("default", "fifo").resolve("address"), d.findings().getFirst().path());
        assertTrue(CleanPlan.of(d, null).isEmpty());
    }

    @Test
    void anIdContainerdCouldNotHaveMadeIsReportedNeverActedOn() {
        for (String id : List.of("a\nb", "x y", "..x")) {
            Bundle b = NodeFixture.bundle("default", id, bundlePath("default", "forged"), false, Set.of("address"),
                    null, null, null, null);
            Diagnosis d = Diagnosis.examine(new NodeFixture().bundle(b).build(), new Scope(null, Set.of(id)));
            assertEquals(List.of("unsafe-name"), kinds(d));
            assertTrue(CleanPlan.of(d, null).isEmpty(), id);
        }
    }

    @Test
    void aShimOfAnotherContainerdIsNeitherReportedNorTouched() {
        Path socket = socketOf("default", "theirs");
        // started by the other containerd in its own bundle: its cwd is outside our --state
        NodeSnapshot node = new NodeFixture().goShim(2000, "default", "theirs", "/other/containerd.sock",
                        "/var/lib/other/state/io.containerd.runtime.v2.task/default/theirs")
                .socket(socket, Result.ACCEPTING).build();
        assertTrue(Diagnosis.examine(node, new Scope(null, Set.of("theirs"))).clean());
        // ours by its cwd, but --containerd-address names another containerd
        NodeSnapshot mismatched = new NodeFixture().goShim(2000, "default", "theirs")
                .socket(socket, Result.ACCEPTING).scopeAddress("/run/other/containerd.sock").build();
        assertTrue(Diagnosis.examine(mismatched, new Scope(null, Set.of("theirs"))).clean());
    }

    @Test
    void runcStateThatRecordsAnotherBundleIsNeitherOursNorStray() {
        NodeSnapshot node = new NodeFixture().bundle(deadBundle("c1", null, "/default/c1"))
                .socket(socketOf("default", "c1"), Result.REFUSED)
                .runcState(new RuncState("default", "c1", NodeFixture.RUNC.resolve("default/c1"), true, 77, 5,
                        Path.of("/var/lib/other/io.containerd.runtime.v2.task/default/c1")))
                .runcState(new RuncState("default", "c2", NodeFixture.RUNC.resolve("default/c2"), true, 0, 0,
                        Path.of("/var/lib/other/io.containerd.runtime.v2.task/default/c2")))
                .build();
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertTrue(!kinds(d).contains("runc-state"), kinds(d).toString());
        assertTrue(plan(d).stream().noneMatch(t -> t == Type.REMOVE_RUNC_STATE), plan(d).toString());
    }

    @Test
    void anUntrustedRuntimeIsReportedAndTheStopSaysRuncWillNotRun() {
        Bundle b = new Bundle("default", "rt", bundlePath("default", "rt"), false, Set.of("address", "runtime"),
                SocketAddress.UNIX_PREFIX + socketOf("default", "rt"), null, null, null,
                "runtime /tmp/runc: owned by uid 1000, not root", NodeFixture.LONG_AGO, Map.of());
        Diagnosis d = Diagnosis.examine(new NodeFixture().bundle(b).socket(socketOf("default", "rt"), Result.REFUSED).build(), Scope.ALL);
        assertTrue(kinds(d).contains("untrusted-runtime"), kinds(d).toString());
        assertTrue(CleanPlan.of(d, null).actions().getFirst().detail().startsWith("runc not run"));
    }

    private static NodeFixture createdButNeverCreated(Instant modified, boolean withInitPid) {
        Path socket = socketOf("default", "half");
        Bundle b = new Bundle("default", "half", bundlePath("default", "half"), false,
                withInitPid ? Set.of("address", "config.json", "init.pid") : Set.of("address", "config.json"),
                SocketAddress.UNIX_PREFIX + socket, withInitPid ? "5" : null, "half", "", null, modified, Map.of());
        return new NodeFixture().bundle(b).goShim(2000, "default", "half").socket(socket, Result.ACCEPTING)
                .listening(2000, socket).answer(socket, new ShimAnswer(2000, true, "State half: not found"));
    }

    @Test
    void aLiveShimThatKnowsNoneOfItsOldBundlesIsLeakedAndStoppedWhenNamed() {
        NodeSnapshot node = createdButNeverCreated(NodeFixture.LONG_AGO, false).build();
        assertEquals(Set.of(socketOf("default", "half")), Diagnosis.questions(node).keySet());
        Diagnosis d = Diagnosis.examine(node, Scope.ALL);
        assertEquals(List.of("leaked-shim", "dead-shim-bundle"), kinds(d));
        assertTrue(CleanPlan.of(d, null).isEmpty(), "a live daemon is stopped only when named");
        CleanPlan named = CleanPlan.of(Diagnosis.examine(node, new Scope(null, Set.of("half"))), null);
        assertEquals(List.of(Type.SHUTDOWN_SHIM, Type.STOP, Type.REMOVE_BUNDLE, Type.REMOVE_SOCKET),
                named.actions().stream().map(CleanAction::type).toList());
        assertEquals(List.of("half"), named.actions().getFirst().tasks());
    }

    @Test
    void aBundleYoungerThanTheGraceOrOneThatGotInitPidIsNeverAskedAbout() {
        NodeSnapshot fresh = createdButNeverCreated(NodeFixture.NOW.minus(Diagnosis.LEAK_GRACE).plusSeconds(1), false).build();
        assertTrue(Diagnosis.questions(fresh).isEmpty());
        assertTrue(Diagnosis.examine(fresh, Scope.ALL).clean(), "a create in flight is never taken");
        NodeSnapshot created = createdButNeverCreated(NodeFixture.LONG_AGO, true).build();
        assertTrue(Diagnosis.questions(created).isEmpty());
        assertTrue(Diagnosis.examine(created, Scope.ALL).clean());
    }
}
