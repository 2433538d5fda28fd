package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code ctr task metrics}: containerd asks the shim's Stats, decodes the cgroups Metrics Any by its type name and
 * prints a METRIC/VALUE table (containerd v1.6.20 runtime/v2/runc/task/service.go, Stats). One subclass per {@link
 * Shim}; Go's shim pins the behaviour.
 */
abstract class StatsIT {

    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(20);

    @Test
    void metricsOfARunningTaskShowItsMemoryAndItsPid(Ctr ctr) {
        ctr.runDetached("measured", "sleep", "600").requireSuccess();
        ctr.awaitTaskStatus("measured", "RUNNING", STATE_TIMEOUT);

        CtrResult metrics = ctr.ctr("task", "metrics", "measured").requireSuccess();
        Map<String, String> table = table(metrics);

        // v1 names the usage after its cgroup file, v2 plainly
        String memory = table.getOrDefault("memory.usage_in_bytes", table.get("memory.usage"));
        assertTrue(memory != null && Long.parseLong(memory) > 0, "no memory usage: " + metrics.describe());
        assertEquals("1", table.get("pids.current"), metrics::describe);
    }

    @Test
    void metricsOfAStoppedTaskStillComeFromItsCgroup(Ctr ctr) {
        ctr.runDetached("stopped", "sleep", "600").requireSuccess();
        ctr.awaitTaskStatus("stopped", "RUNNING", STATE_TIMEOUT);
        ctr.ctr("task", "kill", "-s", "KILL", "stopped").requireSuccess();
        ctr.awaitTaskStatus("stopped", "STOPPED", STATE_TIMEOUT);

        // the cgroup lives until runc delete, so its counters can still be read, now with no process in it
        CtrResult metrics = ctr.ctr("task", "metrics", "stopped").requireSuccess();

        assertEquals("0", table(metrics).get("pids.current"), metrics::describe);
    }

    /** "METRIC VALUE" rows of ctr's table, by metric name. */
    private static Map<String, String> table(CtrResult metrics) {
        return metrics.stdout().lines()
                .map(l -> l.trim().split("\\s+", 2))
                .filter(f -> f.length == 2 && f[0].contains("."))
                .collect(Collectors.toMap(f -> f[0], f -> f[1].trim(), (a, b) -> a));
    }
}
