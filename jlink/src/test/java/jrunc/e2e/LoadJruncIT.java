package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Load, bounded: many tasks on one shim daemon and many execs at once, through containerd exactly as a user
 * drives it. Every exec's exit status comes back exact to its {@code ctr task exec} (Wait) and in exactly one
 * {@code /tasks/exit}; the daemon's threads, descriptors and live heap come back down afterwards and its memory
 * stays bounded (the figures are printed). The second test
 * is a regression test of what hung Go's shim in probing (1,025 open fds with 30 containers × 10 parallel execs).
 */
@ContainerdTest(shim = Shim.JRUNC)
class LoadJruncIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final Pattern EXIT = Pattern.compile("\"id\":\"([^\"]+)\".*\"exit_status\":(\\d+)");

    @Test
    void fiftyTasksInOneGroupWithTwentyExecsEachGetEveryWaitAndEveryExitExactlyOnce(Ctr ctr) throws Exception {
        List<String> ids = runGroup(ctr, "load", 50);
        long daemon = GroupedTasksIT.theDaemon(ctr);
        Figures before = Figures.of(daemon);
        Heap heap = Heap.of(daemon);
        Map<String, Integer> expected = new TreeMap<>();
        Map<String, Integer> waited = new ConcurrentHashMap<>();
        Figures peak = before;
        try (BackgroundCtr events = ctr.events(); ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < ids.size(); t++) {
                for (int e = 0; e < 20; e++) {
                    String task = ids.get(t), exec = task + "-e" + e;
                    int status = 1 + (t * 20 + e) % 250; // distinct within a task
                    expected.put(exec, status);
                    runs.add(pool.submit(() -> {
                        // ctr waits for the exec and exits with its status: the shim's Wait
                        CtrResult r = ctr.ctr(TIMEOUT, "task", "exec", "--exec-id", exec, task, "sh", "-c", "exit " + status);
                        waited.put(exec, r.exitCode());
                        return null;
                    }));
                }
            }
            for (Future<?> run : runs) {
                run.get();
                peak = peak.max(Figures.of(daemon));
            }
            assertEquals(expected, new TreeMap<>(waited), "each Wait's exit status");
            assertExitsPublishedOnce(events, expected);
        }
        report("50 tasks x 20 execs (16 ctr at a time)", daemon, before, heap, peak);
        removeAll(ctr, ids);
    }

    /**
     * 30 tasks in one group with 10 execs each running at once (300 on one daemon, each with its stdio), all
     * released together: every exit is published once with its status, and the daemon gives back its fds.
     */
    @Test
    void thirtyTasksWithTenParallelExecsEachDoNotRunOutOfDescriptors(Ctr ctr) throws Exception {
        List<String> ids = runGroup(ctr, "par", 30);
        long daemon = GroupedTasksIT.theDaemon(ctr);
        Figures before = Figures.of(daemon);
        Heap heap = Heap.of(daemon);
        Map<String, Integer> expected = new TreeMap<>();
        Figures peak = before;
        try (BackgroundCtr events = ctr.events(); ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<?>> starts = new ArrayList<>();
            for (int t = 0; t < ids.size(); t++) {
                for (int e = 0; e < 10; e++) {
                    String task = ids.get(t), exec = task + "-e" + e;
                    int status = 1 + (t * 10 + e) % 250;
                    expected.put(exec, status);
                    starts.add(pool.submit(() -> {
                        ctr.ctr(TIMEOUT, "task", "exec", "-d", "--exec-id", exec, task, "sh", "-c",
                                "while [ ! -e /tmp/release ]; do sleep 0.1; done; exit " + status).requireSuccess();
                        return null;
                    }));
                }
            }
            for (Future<?> start : starts) start.get();
            peak = peak.max(Figures.of(daemon));
            System.out.printf("[load] 300 execs running at once: the daemon holds %d fds, %d threads%n", peak.fds, peak.threads);
            for (String id : ids) ctr.ctr("task", "exec", "--exec-id", id + "-release", id, "sh", "-c", ": > /tmp/release").requireSuccess();
            assertExitsPublishedOnce(events, expected);
        }
        Figures settled = settle(daemon, before);
        report("30 tasks x 10 parallel execs", daemon, before, heap, peak.max(settled));
        assertTrue(settled.fds <= before.fds + 8, () -> "descriptors left open: " + before + " -> " + settled);
        removeAll(ctr, ids);
    }

    private static List<String> runGroup(Ctr ctr, String prefix, int tasks) {
        List<String> ids = new ArrayList<>();
        for (int t = 0; t < tasks; t++) {
            String id = prefix + t;
            ids.add(id);
            ctr.run(List.of("-d", "--annotation", GroupedTasksIT.GROUP_ANNOTATION + "=" + prefix), id, "sleep", "3600")
                    .requireSuccess();
        }
        ctr.awaitTaskStatus(ids.getLast(), "RUNNING", TIMEOUT);
        return ids;
    }

    private static void assertExitsPublishedOnce(BackgroundCtr events, Map<String, Integer> expected) throws InterruptedException {
        Map<String, Integer> published = new TreeMap<>();
        List<String> duplicates = new ArrayList<>();
        assertTrue(Poll.until(TIMEOUT, () -> exits(events.lines(), expected, published, duplicates)),
                () -> "exits published: " + published.size() + " of " + expected.size());
        assertEquals(List.of(), duplicates, "exits published twice");
        assertEquals(expected, published, "each /tasks/exit's status");
    }

    /** The figures once the execs' stdio has been let go (copiers end on their own), within the timeout. */
    private static Figures settle(long daemon, Figures before) throws Exception {
        Figures[] now = {Figures.of(daemon)};
        Poll.until(TIMEOUT, () -> {
            try {
                now[0] = Figures.of(daemon);
            } catch (IOException e) {
                return true;
            }
            return now[0].fds <= before.fds + 8;
        });
        return now[0];
    }

    private static void report(String what, long daemon, Figures before, Heap heapBefore, Figures peak) throws Exception {
        Figures after = settle(daemon, before);
        Heap heapAfter = Heap.of(daemon);
        System.out.printf("[load] %s on one daemon: threads %d -> peak %d -> %d, RSS %d -> peak %d -> %d MiB,"
                + " fds %d -> peak %d -> %d, heap live %d -> %d KiB (committed %d -> %d KiB)%n", what,
                before.threads, peak.threads, after.threads, before.rssMib, peak.rssMib, after.rssMib,
                before.fds, peak.fds, after.fds, heapBefore.liveKib, heapAfter.liveKib,
                heapBefore.committedKib, heapAfter.committedKib);
        // bounded: what the execs took is given back, threads and descriptors and the heap's live objects alike
        assertTrue(after.fds <= before.fds + 8, () -> "descriptors left open: " + before + " -> " + after);
        assertTrue(after.threads <= before.threads + 8, () -> "threads left running: " + before + " -> " + after);
        assertTrue(heapAfter.liveKib <= heapBefore.liveKib + 8 * 1024,
                () -> "the execs' objects stay on the heap: " + heapBefore + " -> " + heapAfter);
        assertTrue(peak.rssMib < 512, () -> "the daemon's memory is not bounded: " + peak);
    }

    private static void removeAll(Ctr ctr, List<String> ids) {
        for (String id : ids) ctr.ctr("task", "rm", "-f", id).requireSuccess();
        for (String id : ids) ctr.ctr("container", "rm", id).requireSuccess();
    }

    /** Reads the exits of the expected execs out of {@code ctr events}; true once all have come. */
    private static boolean exits(List<String> lines, Map<String, Integer> expected, Map<String, Integer> published,
                                 List<String> duplicates) {
        published.clear();
        duplicates.clear();
        for (String line : lines) {
            if (!line.contains("/tasks/exit")) continue;
            Matcher m = EXIT.matcher(line);
            if (!m.find() || !expected.containsKey(m.group(1))) continue;
            if (published.put(m.group(1), Integer.parseInt(m.group(2))) != null) duplicates.add(m.group(1));
        }
        return published.size() == expected.size();
    }

    /**
     * The daemon's Java heap as {@code jcmd GC.heap_info} gives it right after a {@code GC.run}: what is live, and
     * what the heap has committed (the daemon runs with {@code -Xmx64m}). jcmd is the test JDK's, the same release.
     */
    record Heap(long liveKib, long committedKib) {
        private static final Pattern GENERATION = Pattern.compile("total (\\d+)K, used (\\d+)K");

        static Heap of(long pid) {
            jcmd(pid, "GC.run");
            long live = 0, committed = 0;
            Matcher m = GENERATION.matcher(jcmd(pid, "GC.heap_info"));
            while (m.find()) {
                committed += Long.parseLong(m.group(1));
                live += Long.parseLong(m.group(2));
            }
            if (committed == 0) throw new AssertionError("no heap in jcmd GC.heap_info of " + pid);
            return new Heap(live, committed);
        }

        private static String jcmd(long pid, String command) {
            String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
            return Commands.run(List.of(jcmd, Long.toString(pid), command), TIMEOUT).requireSuccess().stdout();
        }
    }

    /** What /proc says of the daemon: threads, resident memory, open descriptors. */
    record Figures(long threads, long rssMib, long fds) {
        static Figures of(long pid) throws IOException {
            long threads = 0, rss = 0;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("Threads:")) threads = Long.parseLong(line.substring(8).trim());
                if (line.startsWith("VmRSS:")) rss = Long.parseLong(line.substring(6).trim().split(" ")[0]) / 1024;
            }
            long fds;
            try (var list = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
                fds = list.count();
            }
            return new Figures(threads, rss, fds);
        }

        Figures max(Figures o) {
            return new Figures(Math.max(threads, o.threads), Math.max(rssMib, o.rssMib), Math.max(fds, o.fds));
        }
    }
}
