package jrunc.doctor.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jrunc.core.doctor.CleanAction;
import jrunc.core.doctor.CleanPlan;
import jrunc.core.doctor.Diagnosis;
import jrunc.core.doctor.Scope;
import jrunc.core.doctor.StopAction;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.StopPath;
import jrunc.core.manager.StopResult;
import jrunc.core.spi.OperatingSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CleanerTest {
    @TempDir Path tmp;
    private final List<String> stops = new ArrayList<>();
    private final StopAction fakeStop = (bundle, ns, id, root) -> {
        stops.add(ns + "/" + id);
        return new StopResult(0, 137, Instant.now(), List.of(new StopResult.Step("runc delete --force", id, true, "")));
    };
    private final OperatingSystem os = OperatingSystem.load();

    private static List<Cleaner.Status> statuses(List<Cleaner.Outcome> outcomes) {
        return outcomes.stream().map(Cleaner.Outcome::status).toList();
    }

    @Test
    void deadBundleIsStoppedAndItsSocketRuncStateAndBundleRemoved() throws IOException {
        try (FakeNode node = new FakeNode(tmp)) {
            Path live = node.task("default", "up", true, 1);
            Path dead = node.task("default", "down", false, 1);
            Path runcState = node.runcState("default", "down", 999_999, 5);
            Files.createSymbolicLink(dead.resolve("work"), Files.createDirectories(tmp.resolve("containerd-root-work")));
            Diagnosis d = Diagnosis.examine(node.scanner(null).scan(), Scope.ALL);
            CleanPlan plan = CleanPlan.of(d, null);

            List<Cleaner.Outcome> outcomes = new Cleaner(fakeStop, os, node.options(null)).execute(plan);

            assertEquals(List.of("default/down"), stops);
            assertTrue(outcomes.stream().noneMatch(o -> o.status() == Cleaner.Status.FAILED), outcomes.toString());
            assertFalse(Files.exists(dead));
            assertFalse(Files.exists(runcState));
            assertTrue(Files.isDirectory(tmp.resolve("containerd-root-work")), "the work link's target is not ours");
            assertTrue(Files.exists(live.resolve("address")));
            assertTrue(node.scanner(null).scan().sockets().values().stream().allMatch(p -> p.mayBeServed()),
                    "only the live shim's socket is left");
        }
    }

    @Test
    void bundleWhoseShimAnswersAgainIsLeftWhole() throws IOException {
        try (FakeNode node = new FakeNode(tmp)) {
            Path b = node.task("default", "back", false, 1);
            CleanPlan plan = CleanPlan.of(Diagnosis.examine(node.scanner(null).scan(), Scope.ALL), null);
            // Between scan and clean, a shim comes up on that address (containerd restarted the task).
            Path socket = node.sockets.resolve(SocketAddress.hash(FakeNode.CONTAINERD, "default", "back"));
            Files.delete(socket);
            node.listen(socket);

            List<Cleaner.Outcome> outcomes = new Cleaner(fakeStop, os, node.options(null)).execute(plan);

            assertTrue(stops.isEmpty());
            assertTrue(statuses(outcomes).stream().allMatch(s -> s == Cleaner.Status.SKIPPED), outcomes.toString());
            assertTrue(Files.exists(b.resolve("config.json")));
        }
    }

    @Test
    void killSignalsOnlyAProcessWithTheStartTimeItWasJudgedBy() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        try (FakeNode node = new FakeNode(tmp)) {
            int pid = (int) sleeper.pid();
            long start = ProcTable.startTicks(Path.of("/proc"), pid);
            Cleaner cleaner = new Cleaner(fakeStop, os, node.options(null));
            CleanAction wrong = new CleanAction("default", "x", CleanAction.Type.KILL, Path.of("/proc/" + pid), pid, start + 1, jrunc.core.doctor.Leftover.Proof.CGROUP, List.of(), "test");
            List<Cleaner.Outcome> refused = cleaner.execute(new CleanPlan(List.of(wrong), null));
            assertEquals(Cleaner.Status.SKIPPED, refused.getFirst().status());
            assertTrue(refused.getFirst().detail().contains("another process"), refused.getFirst().detail());
            assertTrue(sleeper.isAlive());

            CleanAction right = new CleanAction("default", "x", CleanAction.Type.KILL, Path.of("/proc/" + pid), pid, start, jrunc.core.doctor.Leftover.Proof.CGROUP, List.of(), "test");
            assertEquals(Cleaner.Status.DONE, cleaner.execute(new CleanPlan(List.of(right), null)).getFirst().status());
            assertTrue(sleeper.waitFor(5, TimeUnit.SECONDS));
            assertEquals(137, sleeper.exitValue());
        } finally {
            sleeper.destroyForcibly();
        }
    }

    @Test
    void socketThatAcceptsAtCleanTimeIsNotRemoved() throws IOException {
        try (FakeNode node = new FakeNode(tmp)) {
            Path s = node.listen(node.sockets.resolve("busy"));
            CleanAction rm = new CleanAction(null, "busy", CleanAction.Type.REMOVE_SOCKET, s, "test");
            List<Cleaner.Outcome> o = new Cleaner(fakeStop, os, node.options(null)).execute(new CleanPlan(List.of(rm), null));
            assertEquals(Cleaner.Status.SKIPPED, o.getFirst().status());
            assertTrue(Files.exists(s));
        }
    }

    @Test
    void theRealStopPathUnmountsADeadBundlesRootfsBeforeTheBundleIsRemoved() throws IOException {
        try (FakeNode node = new FakeNode(tmp)) {
            Path dead = node.task("jrunc-cleaner-test", "gone-" + ProcessHandle.current().pid(), false, 0);
            Files.delete(dead.resolve("init.pid"));
            os.mount("jrunc-test", dead.resolve("rootfs"), "tmpfs", 0, "size=1m");
            Files.writeString(dead.resolve("rootfs/data"), "the container's");
            CleanPlan plan = CleanPlan.of(Diagnosis.examine(node.scanner(null).scan(), Scope.ALL),
                    node.runc);

            List<Cleaner.Outcome> outcomes = new Cleaner(new StopPath(os)::stop, os, node.options(null)).execute(plan);

            assertEquals(List.of(CleanAction.Type.STOP, CleanAction.Type.REMOVE_SOCKET, CleanAction.Type.REMOVE_BUNDLE),
                    outcomes.stream().map(o -> o.action().type()).toList());
            assertTrue(outcomes.getFirst().steps().stream().anyMatch(s -> s.action().equals("unmount") && s.ok()),
                    outcomes.getFirst().steps().toString());
            assertEquals(Cleaner.Status.DONE, outcomes.getLast().status(), outcomes.toString());
            assertFalse(os.mountInfo().contains(dead.toString()), "rootfs unmounted");
            assertFalse(Files.exists(dead));
        }
    }

    @Test
    void aBundleWithSomethingMountedUnderItIsNeverRemoved() throws IOException {
        try (FakeNode node = new FakeNode(tmp)) {
            Path b = node.task("default", "held", false, 0);
            os.mount("jrunc-test", b.resolve("rootfs"), "tmpfs", 0, "size=1m");
            try {
                CleanAction rm = new CleanAction("default", "held", CleanAction.Type.REMOVE_BUNDLE, b, "test");
                Cleaner.Outcome o = new Cleaner(fakeStop, os, node.options(null)).execute(new CleanPlan(List.of(rm), null))
                        .getFirst();
                assertEquals(Cleaner.Status.FAILED, o.status());
                assertTrue(o.detail().startsWith("still mounted: " + b.resolve("rootfs")), o.detail());
                assertTrue(Files.exists(b.resolve("config.json")));
            } finally {
                os.unmount(b.resolve("rootfs"), OperatingSystem.MountFlags.MNT_DETACH);
            }
        }
    }

    @Test
    void hiddenBundleMountsAreUnmountedThroughTheKernel() throws IOException {
        try (FakeNode node = new FakeNode(tmp)) {
            Path hidden = Files.createDirectories(node.bundle("default", ".half").resolve("rootfs"));
            os.mount("jrunc-test", hidden, "tmpfs", 0, "size=1m");
            CleanPlan plan = CleanPlan.of(Diagnosis.examine(node.scanner(null).scan(), Scope.ALL), null);

            List<Cleaner.Outcome> outcomes = new Cleaner(fakeStop, os, node.options(null)).execute(plan);

            assertEquals(List.of("unmount:done", "remove-bundle:done"), outcomes.stream()
                    .map(o -> o.action().type().wireName() + ":" + o.status().wireName()).toList());
            assertFalse(Files.exists(hidden.getParent()));
            assertTrue(stops.isEmpty(), "a hidden bundle is never given to the Stop path");
        }
    }

    @Test
    void theDoctorItselfAndItsParentAreNeverSignalledWhateverThePlanSays() throws IOException {
        try (FakeNode node = new FakeNode(tmp)) {
            Cleaner cleaner = new Cleaner(fakeStop, os, node.options(null));
            for (long pid : List.of(ProcessHandle.current().pid(), ProcessHandle.current().parent().orElseThrow().pid())) {
                long start = ProcTable.startTicks(Path.of("/proc"), (int) pid);
                CleanAction self = new CleanAction("default", "x", CleanAction.Type.KILL, Path.of("/proc/" + pid), (int) pid,
                        start, jrunc.core.doctor.Leftover.Proof.RUNC_START_TIME, List.of(), "a forged plan");
                Cleaner.Outcome o = cleaner.execute(new CleanPlan(List.of(self), null)).getFirst();
                assertEquals(Cleaner.Status.FAILED, o.status(), o.toString());
                assertTrue(o.detail().contains("never signalled"), o.detail());
            }
        }
    }
}
