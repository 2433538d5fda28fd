package jrunc.linux;

import static jrunc.linux.Children.OS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import jrunc.core.spi.Reaper;
import jrunc.core.spi.Spawn;
import jrunc.proto.cgroups.v1.Metrics;
import org.junit.jupiter.api.Test;

/** The metrics of a real cgroup holding a spawned sleep, as Stats reads a container's. */
class CgroupStatsKernelTest {

    @Test
    void aSleepersCgroupShowsItsMemoryAndItsOnePid() throws Exception {
        String name = "jrunc-stats-" + UUID.randomUUID().toString().substring(0, 8);
        List<CgroupHierarchy> hierarchies = CgroupHierarchy.parse(OS.mountInfo());
        // Memory is charged to the cgroup a page is allocated in and stays there when the process moves (v1 without
        // move_charge_at_immigrate), so the child waits until it is in, then execs sleep there, as runc's init does.
        Reaper.Child sleeper = OS.reaper().start(Spawn.of(List.of("sh", "-c",
                "while ! grep -q " + name + " /proc/self/cgroup; do sleep 0.02; done; exec sleep 60")));
        try {
            OS.joinCgroup(sleeper.pid(), "/" + name);
            assertTrue(Children.eventually(() -> command(sleeper.pid()).equals("sleep")), "the shell saw its cgroup");

            Message byPath = metrics("/" + name, 0);
            Message byPid = metrics("", sleeper.pid());

            if (byPath instanceof Metrics v1) {
                assertEquals(1, v1.getPids().getCurrent(), v1.toString());
                assertTrue(v1.getMemory().getUsage().getUsage() > 0, v1.toString());
                assertTrue(v1.getCpu().getUsage().getTotal() > 0, "the exec of sleep took some cpu: " + v1);
                assertEquals(1, assertInstanceOf(Metrics.class, byPid).getPids().getCurrent());
            } else {
                var v2 = assertInstanceOf(jrunc.proto.cgroups.v2.Metrics.class, byPath);
                assertEquals(1, v2.getPids().getCurrent(), v2.toString());
                assertTrue(v2.getMemory().getUsage() > 0, v2.toString());
                assertEquals(1, assertInstanceOf(jrunc.proto.cgroups.v2.Metrics.class, byPid).getPids().getCurrent());
            }
        } finally {
            Children.kill(sleeper);
            for (CgroupHierarchy hierarchy : hierarchies) Files.deleteIfExists(hierarchy.mountPoint().resolve(name));
        }
        assertThrows(NoSuchFileException.class, () -> OS.cgroupMetrics("/" + name, 0), "the cgroup is gone");
    }

    private static Message metrics(String cgroupsPath, int pid) {
        try {
            return OS.cgroupMetrics(cgroupsPath, pid);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String command(int pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/comm")).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
