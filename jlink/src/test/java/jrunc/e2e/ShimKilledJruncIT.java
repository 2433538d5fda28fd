package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A shim SIGKILLed under a running task: containerd sees it go and runs {@code delete} for the task, which removes
 * the socket nobody answers on any more. containerd's own shim leaves it in /run/containerd/s (containerd#11292),
 * which is why there is no Go subclass of this test.
 */
@ContainerdTest(shim = Shim.JRUNC)
class ShimKilledJruncIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void deleteRemovesTheSocketOfAShimKilledUnderItsTask(Ctr ctr) throws Exception {
        ctr.runDetached("victim", "sleep", "600").requireSuccess();
        ctr.awaitTaskStatus("victim", "RUNNING", TIMEOUT);
        Path socket = TaskLifecycleIT.Residue.socketOf(ctr, "victim");
        List<Long> shims = TaskLifecycleIT.Residue.shimDaemons(ctr);
        assertEquals(1, shims.size(), "shim daemons: " + shims);
        assertTrue(Files.exists(socket));

        ProcessHandle.of(shims.getFirst()).orElseThrow().destroyForcibly(); // SIGKILL

        assertTrue(Poll.until(TIMEOUT, () -> !Files.exists(socket)), "the dead shim's socket " + socket + " is still there");
        // containerd drops a task whose shim died once delete has answered
        assertTrue(Poll.until(TIMEOUT, () -> ctr.task("victim").isEmpty()), "containerd still lists " + ctr.task("victim"));
        ctr.ctr("container", "rm", "victim").requireSuccess();
        TaskLifecycleIT.Residue.awaitNothingLeft(ctr, List.of("victim"), List.of(socket));
    }
}
