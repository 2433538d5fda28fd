package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@link GroupedTasksIT} on our shim from the jlink image, plus what only ours promises: a small daemon. */
@ContainerdTest(shim = Shim.JRUNC)
class GroupedTasksJruncIT extends GroupedTasksIT {

    /**
     * The JVM's own threads (VM, GC, compiler, reference handling, signals, AOT replay), the virtual-thread scheduler
     * and its pollers, the reaper, the exit handler and the OOM watcher: 20 when idle, a few more while carriers that
     * served a burst of RPCs, and the runc deadline timer, wait out their keep-alive.
     */
    private static final int MAX_THREADS_BESIDES_STDIO = 24;
    /** The one loop that copies every stdio stream of the daemon. */
    private static final String STDIO_THREAD = "jrunc-stdio";
    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration THREADS_END_TIMEOUT = Duration.ofSeconds(30);

    /**
     * The daemon is resident once per pod, so its threads must stay few, and none may be a task's: every stdio stream
     * (ctr gives each task stdin, stdout and stderr FIFOs) is copied by one loop, before and after tasks leave.
     */
    @Test
    void daemonKeepsFewThreadsAndNoneIsATasks(Ctr ctr) throws InterruptedException {
        runGroup(ctr);
        long daemon = theDaemon(ctr);

        List<String> threads = threadNames(daemon);
        System.err.println("[e2e] shim daemon " + daemon + " with 3 idle tasks: " + threads.size() + " threads "
                + byName(threads));
        assertEquals(1, stdioThreads(threads), "stdio threads: " + byName(threads));
        assertTrue(threads.size() - 1 <= MAX_THREADS_BESIDES_STDIO, "threads: " + byName(threads));

        for (String id : List.of("g1-a", "g1-b")) {
            ctr.ctr("task", "kill", "-s", "KILL", id).requireSuccess();
            ctr.awaitTaskStatus(id, "STOPPED", STATE_TIMEOUT);
            ctr.ctr("task", "rm", id).requireSuccess();
            ctr.ctr("container", "rm", id).requireSuccess();
        }
        boolean few = Poll.until(THREADS_END_TIMEOUT, () -> {
            List<String> now = threadNames(daemon);
            return stdioThreads(now) == 1 && now.size() - 1 <= MAX_THREADS_BESIDES_STDIO;
        });
        assertTrue(few, "threads once two tasks have gone: " + byName(threadNames(daemon)));
    }

    private static long stdioThreads(List<String> threads) {
        return threads.stream().filter(name -> name.startsWith(STDIO_THREAD)).count();
    }

    private static Map<String, Long> byName(List<String> threads) {
        return new TreeMap<>(threads.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting())));
    }
}
