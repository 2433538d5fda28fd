package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A task that outgrows {@code --memory-limit} is OOM-killed by the kernel, and the shim publishes {@code /tasks/oom}
 * for it (containerd v1.6.20 runtime/v2/runc/task/ep_v1.go: an eventfd on memory.oom_control, this host's cgroup
 * v1 memory controller). One subclass per {@link Shim}; Go's shim is the reference.
 */
abstract class OomEventIT {
    private static final Duration EVENT_TIMEOUT = Duration.ofSeconds(30);
    private static final String LIMIT = Long.toString(32L * 1024 * 1024);

    @Test
    void aTaskOverItsMemoryLimitIsKilledAndItsOomIsPublished(Ctr ctr) {
        try (BackgroundCtr events = ctr.events()) {
            // a shell variable that doubles without end: it grows until the kernel kills the shell
            CtrResult run = ctr.run(List.of("--rm", "--memory-limit", LIMIT), "hog", "sh", "-c",
                    "x=0123456789; while true; do x=$x$x; done");

            assertEquals(137, run.exitCode(), run::describe);
            events.awaitLine(l -> l.contains("/tasks/oom") && l.contains("\"hog\""), EVENT_TIMEOUT);
        }
    }
}
