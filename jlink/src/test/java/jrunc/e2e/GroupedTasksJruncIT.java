package jrunc.e2e;

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
    /** One copier per stdio stream: ctr gives each task stdin, stdout and stderr FIFOs. */
    private static final int STDIO_THREADS_PER_TASK = 3;
    private static final String STDIO_THREAD = "jrunc-io-";
    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration THREADS_END_TIMEOUT = Duration.ofSeconds(10);

    /**
     * The daemon is resident once per pod, so its threads must stay few and must not outlive the tasks they serve.
     */
    @Test
    void daemonKeepsFewThreadsAndTheyGoWithTheirTasks(Ctr ctr) throws InterruptedException {
        runGroup(ctr);
        long daemon = theDaemon(ctr);

        List<String> threads = threadNames(daemon);
        long stdio = stdioThreads(threads);
        System.err.println("[e2e] shim daemon " + daemon + " with 3 idle tasks: " + threads.size() + " threads "
                + byName(threads));
        assertTrue(stdio <= (long) STDIO_THREADS_PER_TASK * GROUP.size(), "stdio threads: " + byName(threads));
        assertTrue(threads.size() - stdio <= MAX_THREADS_BESIDES_STDIO, "threads: " + byName(threads));

        for (String id : List.of("g1-a", "g1-b")) {
            ctr.ctr("task", "kill", "-s", "KILL", id).requireSuccess();
            ctr.awaitTaskStatus(id, "STOPPED", STATE_TIMEOUT);
            ctr.ctr("task", "rm", id).requireSuccess();
            ctr.ctr("container", "rm", id).requireSuccess();
        }
        boolean ended = Poll.until(THREADS_END_TIMEOUT,
                () -> stdioThreads(threadNames(daemon)) <= STDIO_THREADS_PER_TASK);
        assertTrue(ended, "the removed tasks' stdio threads are still there: " + byName(threadNames(daemon)));
    }

    private static long stdioThreads(List<String> threads) {
        return threads.stream().filter(name -> name.startsWith(STDIO_THREAD)).count();
    }

    private static Map<String, Long> byName(List<String> threads) {
        return new TreeMap<>(threads.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting())));
    }
}
