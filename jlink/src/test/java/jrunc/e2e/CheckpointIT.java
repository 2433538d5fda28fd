package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A running task checkpointed with criu into an image and restored, live, into a new container, through containerd
 * ({@code ctr containers checkpoint --task}, {@code ctr containers restore --live}). criu must be able to dump on
 * this kernel: where {@code criu check} fails, the test is skipped and says why (criu 3.17 cannot read the vdso of
 * newer kernels). The flags the shim hands runc are proven without criu in {@link FakeRuncShimIT}. One subclass per
 * {@link Shim}; Go's shim is the reference.
 */
abstract class CheckpointIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void aRunningTaskCheckpointedIntoAnImageRunsOnWhenRestored(Ctr ctr) throws Exception {
        Optional<String> why = criuUnavailable();
        why.ifPresent(reason -> System.err.println("\n[e2e] SKIPPING checkpoint/restore on " + ctr.shim() + ": " + reason + "\n"));
        Assumptions.assumeTrue(why.isEmpty(), () -> why.orElse(""));

        ctr.runDetached("counted", "sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /count; sleep 0.1; done")
                .requireSuccess();
        ctr.awaitTaskStatus("counted", "RUNNING", TIMEOUT);
        Path count = ctr.bundle("counted").resolve("rootfs/count");
        assertTrue(Poll.until(TIMEOUT, () -> read(count) > 5), "the task counts");

        ctr.ctr(TIMEOUT, "containers", "checkpoint", "--task", "counted", "jrunc-e2e/counted:checkpoint").requireSuccess();
        ctr.ctr("task", "kill", "-s", "KILL", "counted").requireSuccess();
        ctr.awaitTaskStatus("counted", "STOPPED", TIMEOUT);
        ctr.ctr("task", "rm", "counted").requireSuccess();

        ctr.ctr(TIMEOUT, "containers", "restore", "--live", "jrunc-e2e/counted:checkpoint", "restored").requireSuccess();
        ctr.awaitTaskStatus("restored", "RUNNING", TIMEOUT);
        Path restoredCount = ctr.bundle("restored").resolve("rootfs/count");
        long after = read(restoredCount);
        assertTrue(Poll.until(TIMEOUT, () -> read(restoredCount) > after), "the restored task counts on from " + after);
    }

    private static long read(Path file) {
        try {
            return Long.parseLong(Files.readString(file).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** Why criu cannot checkpoint here, if it cannot: not installed, or {@code criu check} fails. */
    static Optional<String> criuUnavailable() {
        Optional<Path> criu = List.of(Path.of("/usr/sbin/criu"), Path.of("/usr/bin/criu"), Path.of("/usr/local/sbin/criu"))
                .stream().filter(Files::isExecutable).findFirst();
        if (criu.isEmpty()) return Optional.of("criu is not installed");
        CtrResult check = Commands.run(List.of(criu.get().toString(), "check"), Duration.ofSeconds(60));
        if (check.succeeded()) return Optional.empty();
        String said = (check.stdout() + check.stderr()).strip();
        return Optional.of("criu check fails on this kernel: " + said.lines().reduce((a, b) -> b).orElse(said));
    }
}
