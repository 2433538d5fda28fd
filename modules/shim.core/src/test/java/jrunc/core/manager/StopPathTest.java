package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StopPathTest {
    @TempDir Path bundle;
    private final FakeOs os = new FakeOs();
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-28T12:00:00Z"), ZoneOffset.UTC);

    @Test
    void runsRuncDeleteForceWithTheBundlesRuntimeAndRoot() throws IOException {
        // A root-owned binary writable by nobody else: what a runtime file must name (here one that exists everywhere).
        Files.writeString(bundle.resolve("runtime"), "/usr/bin/true");
        Files.writeString(bundle.resolve("options.json"), "{\"root\":\"/run/custom\",\"systemd_cgroup\":true}");
        Files.writeString(bundle.resolve("init.pid"), "4242");
        StopResult r = new StopPath(os, clock).stop(bundle, "k8s.io", "c1", null);
        assertEquals(List.of(Path.of("/usr/bin/true").toRealPath().toString(), "--root", "/run/custom/k8s.io", "--log", bundle.resolve("log.json").toString(),
                "--log-format", "json", "--systemd-cgroup", "delete", "--force", "c1"), os.spawned.getFirst().argv());
        assertEquals(4242, r.pid());
        assertEquals(137, r.exitStatus());
        assertEquals(clock.instant(), r.exitedAt());
        assertTrue(r.warnings().isEmpty(), r.warnings().toString());
    }

    @Test
    void missingRuntimeFileMeansDefaultRuncNotFailure() {
        StopResult r = new StopPath(os, clock).stop(bundle, "default", "c1", null);
        List<String> argv = os.spawned.getFirst().argv();
        assertTrue(argv.getFirst().startsWith("/") && argv.getFirst().endsWith("/runc"), "runc from PATH: " + argv);
        assertEquals(List.of("--root", "/run/containerd/runc/default"), argv.subList(1, 3));
        assertEquals(0, r.pid());
        assertEquals(List.of("read-init-pid " + bundle.resolve("init.pid") + ": missing: reporting pid 0"), r.warnings());
    }

    @Test
    void runcSayingDoesNotExistIsFine() {
        os.program = argv -> Map.entry(1, "{\"level\":\"error\",\"msg\":\"container does not exist\"}");
        StopResult r = new StopPath(os, clock).stop(bundle, "default", "c1", Path.of("/x/runc"));
        assertEquals("/x/runc/default", os.spawned.getFirst().argv().get(2));
        assertTrue(runcStep(r).ok(), runcStep(r).toString());
    }

    @Test
    void otherRuncFailuresAreWarningsAndTheRestStillRuns() throws IOException {
        os.program = argv -> Map.entry(1, "permission denied");
        Files.writeString(bundle.resolve("init.pid"), "77\n");
        StopResult r = new StopPath(os, clock).stop(bundle, "default", "c1", null);
        assertFalse(runcStep(r).ok());
        assertTrue(runcStep(r).detail().contains("permission denied"));
        assertEquals(77, r.pid());
    }

    @Test
    void unmountsEverythingUnderRootfsDeepestFirstRetryingBusy() {
        String rootfs = bundle.resolve("rootfs").toString();
        os.mounts.addAll(List.of(rootfs, rootfs + "/proc", rootfs + "/proc/sys", rootfs + "-other"));
        os.busyCount.put(rootfs, 3);
        StopResult r = new StopPath(os, clock).stop(bundle, "default", "c1", null);
        assertEquals(List.of(rootfs + "/proc/sys", rootfs + "/proc", rootfs), os.unmounted);
        assertEquals(List.of(rootfs + "-other"), os.mounts);
        assertTrue(r.warnings().stream().noneMatch(w -> w.startsWith("unmount")), r.warnings().toString());
    }

    @Test
    void stackedMountsOnRootfsAreAllRemoved() {
        String rootfs = bundle.resolve("rootfs").toString();
        os.mounts.addAll(List.of(rootfs, rootfs));
        new StopPath(os, clock).stop(bundle, "default", "c1", null);
        assertEquals(List.of(rootfs, rootfs), os.unmounted);
    }

    private static StopResult.Step runcStep(StopResult r) {
        return r.steps().stream().filter(s -> s.action().equals("runc-delete")).findFirst().orElseThrow();
    }

    @Test
    void aHungRuncIsKilledAtTheDeadlineAndTheStopStillAnswers() throws IOException {
        os.programsHang = true;
        Files.writeString(bundle.resolve("init.pid"), "4242");
        StopResult r = new StopPath(os, clock, java.time.Duration.ofMillis(100)).stop(bundle, "default", "c1", null);
        assertEquals(List.of(1000), os.killed, "runc (the first spawned pid) was killed");
        assertFalse(runcStep(r).ok());
        assertTrue(runcStep(r).detail().contains("did not finish within 0.1 s: killed it"), runcStep(r).detail());
        assertEquals(4242, r.pid());
    }

    @Test
    void neverSignalsTheInitPid() throws IOException {
        Files.writeString(bundle.resolve("init.pid"), "1");
        new StopPath(os, clock).stop(bundle, "default", "c1", null);
        assertTrue(os.killed.isEmpty());
    }

    @Test
    void garbageInitPidIsAWarningAndPidZero() throws IOException {
        Files.writeString(bundle.resolve("init.pid"), "not-a-pid");
        StopResult r = new StopPath(os, clock).stop(bundle, "default", "c1", null);
        assertEquals(0, r.pid());
        assertEquals(1, r.warnings().size());
    }

    @Test
    void aRuntimeFileNamingAWritableOrRelativeBinaryRunsNothing(@TempDir Path elsewhere) throws IOException {
        Path binary = Files.writeString(elsewhere.resolve("runc"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(binary, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        for (String runtime : List.of(binary.toString(), "bin/runc", "/nonexistent/runc")) {
            os.spawned.clear();
            Files.writeString(bundle.resolve("runtime"), runtime);
            StopResult r = new StopPath(os, clock).stop(bundle, "default", "c1", null);
            assertTrue(os.spawned.isEmpty(), runtime + " was run");
            assertFalse(runcStep(r).ok());
            assertTrue(runcStep(r).detail().endsWith(": not run"), runcStep(r).detail());
        }
    }

    @Test
    void runcStateRecordingAnotherBundleIsNotDeleted(@TempDir Path runcRoot) throws IOException {
        Path state = Files.createDirectories(runcRoot.resolve("default").resolve("c1"));
        Files.writeString(state.resolve("state.json"),
                "{\"init_process_pid\":1,\"config\":{\"labels\":[\"bundle=/other/containerd/c1\"]}}");
        StopResult r = new StopPath(os, clock).stop(bundle, "default", "c1", runcRoot);
        assertTrue(os.spawned.isEmpty(), "runc delete --force would kill the other containerd's c1");
        assertTrue(runcStep(r).detail().contains("belongs to bundle /other/containerd/c1"), runcStep(r).detail());

        Files.writeString(state.resolve("state.json"),
                "{\"init_process_pid\":1,\"config\":{\"labels\":[\"bundle=" + bundle + "\"]}}");
        new StopPath(os, clock).stop(bundle, "default", "c1", runcRoot);
        assertEquals(1, os.spawned.size(), "its own runc state is deleted");
    }
}
