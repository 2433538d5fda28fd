package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import jrunc.proto.task.DeleteResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code delete} (the Stop path) against a real runc container on an overlay rootfs. */
class ShimDeleteIT {
    @TempDir Path dir;
    private RuncFixture fixture;

    @AfterEach
    void tearDown() {
        if (fixture != null) fixture.cleanUp();
    }

    @Test
    void killsTheContainerUnmountsRootfsRemovesRuncStateAndAnswers137() throws Exception {
        fixture = new RuncFixture(dir, "jrunc-it", "del-" + ProcessHandle.current().pid()).createAndStart();
        int pid = fixture.initPid();
        assertTrue(Files.exists(Path.of("/proc/" + pid)), "the container runs before delete");
        assertTrue(fixture.rootfsMounted());

        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        ShimBinary.Result r = ShimBinary.run(fixture.bundle, null, "-namespace", fixture.namespace, "-address",
                "/run/containerd/containerd.sock", "-publish-binary", "/usr/bin/containerd", "-id", fixture.id,
                "-bundle", fixture.bundle.toString(), "delete");

        assertEquals(0, r.exit(), r.stderr());
        DeleteResponse response = DeleteResponse.parseFrom(r.stdout());
        assertEquals(pid, response.getPid());
        assertEquals(137, response.getExitStatus());
        Instant exitedAt = Instant.ofEpochSecond(response.getExitedAt().getSeconds(), response.getExitedAt().getNanos());
        Instant after = Instant.now();
        // when the container was ended, not containerd's zero time nor a clock of its own
        assertTrue(!exitedAt.isBefore(before) && !exitedAt.isAfter(after),
                "exited_at " + exitedAt + " lies between the call (" + before + ") and its answer (" + after + ")");
        assertEquals(response.toByteArray().length, r.stdout().length, "stdout holds exactly the DeleteResponse");
        assertFalse(fixture.rootfsMounted(), "rootfs unmounted");
        assertFalse(Files.exists(fixture.runcState()), "runc state removed");
        assertTrue(Poll.until(Duration.ofSeconds(10), () -> !Files.exists(Path.of("/proc/" + pid))), "container process killed");
    }

    @Test
    void worksWithoutTheRuntimeFile() throws Exception {
        fixture = new RuncFixture(dir, "jrunc-it", "del-nort-" + ProcessHandle.current().pid()).createAndStart();
        int pid = fixture.initPid();
        Files.delete(fixture.bundle.resolve("runtime"));

        ShimBinary.Result r = ShimBinary.run(fixture.bundle, null, "-namespace", fixture.namespace, "-id", fixture.id, "delete");

        assertEquals(0, r.exit(), r.stderr());
        assertEquals(pid, DeleteResponse.parseFrom(r.stdout()).getPid());
        assertFalse(fixture.rootfsMounted());
        assertFalse(Files.exists(fixture.runcState()));
    }

    @Test
    void aBundleWithNothingInItStillAnswersWithPidZero() throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("empty"));
        ShimBinary.Result r = ShimBinary.run(bundle, null, "-namespace", "jrunc-it", "-id", "nothing-here", "delete");
        assertEquals(0, r.exit(), r.stderr());
        DeleteResponse response = DeleteResponse.parseFrom(r.stdout());
        assertEquals(0, response.getPid());
        assertEquals(137, response.getExitStatus());
        assertTrue(r.stderr().contains("init.pid"), "a warning names the missing init.pid: " + r.stderr());
    }
}
