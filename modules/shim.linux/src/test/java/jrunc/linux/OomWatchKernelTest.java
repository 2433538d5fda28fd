package jrunc.linux;

import static jrunc.linux.Children.OS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jrunc.core.spi.Reaper;
import jrunc.core.spi.Spawn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OOM watcher against the kernel: a real memory cgroup whose process is OOM-killed (v1 here, where this hybrid
 * host binds the memory controller; v2 on a unified host), and inotify on a cgroup v2 file of the unified tree (at
 * /sys/fs/cgroup/unified here, whose memory.events cannot change without the memory controller: the watch and the
 * counting are the same for any flat-keyed cgroup v2 file).
 */
class OomWatchKernelTest {
    @TempDir Path dir;

    @Test
    void aMemoryCgroupWhoseProcessIsOomKilledIsReported() throws Exception {
        List<CgroupHierarchy> hierarchies = CgroupHierarchy.parse(OS.mountInfo());
        CgroupHierarchy memory = hierarchies.stream().filter(h -> h.hasController("memory")).findFirst()
                .orElseGet(() -> hierarchies.stream().filter(CgroupHierarchy::unified).findFirst().orElseThrow());
        String name = "jrunc-oom-" + UUID.randomUUID().toString().substring(0, 8);
        Path cgroup = Files.createDirectory(memory.mountPoint().resolve(name));
        Semaphore ooms = new Semaphore(0);
        try (AutoCloseable watch = OS.watchOom("/" + name, 0, ooms::release)) {
            String limit = Long.toString(16L * 1024 * 1024);
            Files.writeString(cgroup.resolve(memory.unified() ? "memory.max" : "memory.limit_in_bytes"), limit);
            // waits to be in the cgroup, then grows a shell variable until the kernel kills it
            Reaper.Child hog = OS.reaper().start(Spawn.of(List.of("sh", "-c", "while ! grep -q " + name
                    + " /proc/self/cgroup; do sleep 0.02; done; x=0123456789; while true; do x=$x$x; done")));
            Files.writeString(cgroup.resolve("cgroup.procs"), Integer.toString(hog.pid()));
            assertEquals(137, hog.exit().get(60, TimeUnit.SECONDS).status(), "the kernel OOM-killed it");
            assertTrue(ooms.tryAcquire(30, TimeUnit.SECONDS), "no OOM reported for " + cgroup);
        } finally {
            removeWhenEmpty(cgroup);
        }
    }

    @Test
    void aCgroupV2EventsFileOfTheUnifiedTreeIsWatchedThroughInotify() throws Exception {
        Path unified = CgroupHierarchy.parse(OS.mountInfo()).stream().filter(CgroupHierarchy::unified).findFirst()
                .orElseThrow(() -> new AssertionError("no cgroup2 mount: jrunc needs at least the hybrid unified tree"))
                .mountPoint();
        Path cgroup = Files.createDirectory(unified.resolve("jrunc-oom-" + UUID.randomUUID().toString().substring(0, 8)));
        Semaphore populated = new Semaphore(0);
        Reaper.Child sleeper = null;
        try (AutoCloseable watch = OomMonitor.process().watchCounter(cgroup.resolve("cgroup.events"), "populated",
                populated::release)) {
            sleeper = OS.reaper().start(Spawn.of(List.of("sleep", "60")));
            Files.writeString(cgroup.resolve("cgroup.procs"), Integer.toString(sleeper.pid()));
            assertTrue(populated.tryAcquire(30, TimeUnit.SECONDS), "the kernel's change of " + cgroup
                    + "/cgroup.events (populated 0 → 1) was not seen");
        } finally {
            if (sleeper != null) Children.kill(sleeper);
            removeWhenEmpty(cgroup);
        }
    }

    @Test
    void onlyARiseOfOomKillIsAnOom() throws Exception {
        Path events = Files.writeString(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 3\noom 0\noom_kill 0\n");
        AtomicInteger ooms = new AtomicInteger();
        Semaphore seen = new Semaphore(0);
        try (AutoCloseable watch = OomMonitor.process().watchCounter(events, "oom_kill", () -> {
            ooms.incrementAndGet();
            seen.release();
        })) {
            Files.writeString(events, "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n");
            assertTrue(seen.tryAcquire(30, TimeUnit.SECONDS), "oom_kill 0 → 1 was not reported");
            Files.writeString(events, "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n"); // max rose, oom_kill did not
            Files.writeString(events, "low 0\nhigh 0\nmax 5\noom 2\noom_kill 2\n");
            assertTrue(seen.tryAcquire(30, TimeUnit.SECONDS), "oom_kill 1 → 2 was not reported");
            assertEquals(2, ooms.get(), "a change of another key is no OOM");
        }
    }

    /** rmdir of a test cgroup, once the kernel has let its last process go. */
    private static void removeWhenEmpty(Path cgroup) throws InterruptedException {
        assertTrue(Children.eventually(() -> {
            try {
                Files.deleteIfExists(cgroup);
                return true;
            } catch (java.io.IOException busy) {
                return false;
            }
        }), "could not remove " + cgroup);
    }
}
