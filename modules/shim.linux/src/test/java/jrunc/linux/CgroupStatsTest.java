package jrunc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import jrunc.proto.cgroups.v1.BlkIOEntry;
import jrunc.proto.cgroups.v1.Metrics;
import jrunc.proto.cgroups.v2.IOEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cgroup files as the kernel writes them, laid out in a temporary tree, read into containerd's Metrics. */
class CgroupStatsTest {
    @TempDir
    Path root;

    private Path dir(String name, String... fileAndText) throws IOException {
        Path dir = Files.createDirectories(root.resolve(name));
        for (int i = 0; i < fileAndText.length; i += 2) Files.writeString(dir.resolve(fileAndText[i]), fileAndText[i + 1]);
        return dir;
    }

    @Test
    void v1ControllersFillTheirPartOfMetrics() throws Exception {
        Path pids = dir("pids", "pids.current", "3\n", "pids.max", "max\n");
        Path cpuacct = dir("cpuacct", "cpuacct.usage", "123456789\n", "cpuacct.usage_percpu", "100 200 \n",
                "cpuacct.stat", "user 15\nsystem 7\n");
        Path cpu = dir("cpu", "cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 5000\n");
        Path memory = dir("memory",
                "memory.stat", "cache 4096\nrss 8192\npgpgin 11\npgfault 12\nhierarchical_memsw_limit 9223372036854771712\n"
                        + "swap 0\ntotal_rss 16384\ntotal_pgmajfault 13\nsome_new_key 1\n",
                "memory.usage_in_bytes", "1048576\n", "memory.max_usage_in_bytes", "2097152\n", "memory.failcnt", "0\n",
                "memory.limit_in_bytes", "9223372036854771712\n",
                "memory.kmem.usage_in_bytes", "65536\n", "memory.kmem.tcp.usage_in_bytes", "0\n",
                "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");

        Metrics m = CgroupV1Stats.read(Map.of("pids", pids, "cpuacct", cpuacct, "cpu", cpu, "memory", memory,
                "blkio", root.resolve("blkio-gone")));

        assertEquals(3, m.getPids().getCurrent());
        assertEquals(0, m.getPids().getLimit(), "no limit reads as 0 in v1");
        assertEquals(123456789, m.getCpu().getUsage().getTotal());
        assertEquals(List.of(100L, 200L), m.getCpu().getUsage().getPerCpuList());
        assertEquals(150_000_000L, m.getCpu().getUsage().getUser(), "ticks of 10 ms, in ns");
        assertEquals(70_000_000L, m.getCpu().getUsage().getKernel());
        assertEquals(10, m.getCpu().getThrottling().getPeriods());
        assertEquals(2, m.getCpu().getThrottling().getThrottledPeriods());
        assertEquals(5000, m.getCpu().getThrottling().getThrottledTime());
        assertEquals(4096, m.getMemory().getCache());
        assertEquals(8192, m.getMemory().getRss());
        assertEquals(11, m.getMemory().getPgPgIn());
        assertEquals(12, m.getMemory().getPgFault());
        assertEquals(9223372036854771712L, m.getMemory().getHierarchicalSwapLimit());
        assertEquals(16384, m.getMemory().getTotalRss());
        assertEquals(13, m.getMemory().getTotalPgMajFault());
        assertEquals(1048576, m.getMemory().getUsage().getUsage());
        assertEquals(2097152, m.getMemory().getUsage().getMax());
        assertEquals(9223372036854771712L, m.getMemory().getUsage().getLimit());
        assertFalse(m.getMemory().hasSwap(), "no memsw files: swap accounting is off");
        assertEquals(65536, m.getMemory().getKernel().getUsage());
        assertEquals(1, m.getMemoryOomControl().getOomKill());
        assertFalse(m.hasBlkio(), "a controller whose directory is missing is skipped");
    }

    @Test
    void blkioFallsBackToTheThrottleCountersOnBlkMqKernels() throws Exception {
        Path blkio = dir("blkio",
                "blkio.throttle.io_service_bytes_recursive", "8:0 Read 4096\n8:0 Write 512\n8:0 Total 4608\nTotal 4608\n",
                "blkio.throttle.io_serviced_recursive", "8:0 Read 1\n8:0 Write 1\nTotal 2\n");

        var stat = CgroupV1Stats.blkio(blkio, (major, minor) -> "/dev/sda");

        assertEquals(List.of(
                BlkIOEntry.newBuilder().setOp("Read").setDevice("/dev/sda").setMajor(8).setMinor(0).setValue(4096).build(),
                BlkIOEntry.newBuilder().setOp("Write").setDevice("/dev/sda").setMajor(8).setMinor(0).setValue(512).build(),
                BlkIOEntry.newBuilder().setOp("Total").setDevice("/dev/sda").setMajor(8).setMinor(0).setValue(4608).build()),
                stat.getIoServiceBytesRecursiveList());
        assertEquals(2, stat.getIoServicedRecursiveCount(), "the Total line is a sum, not a device");
    }

    @Test
    void blkioUsesTheCfqFilesWhenTheKernelHasThem() throws Exception {
        Path blkio = dir("blkio", "blkio.io_serviced_recursive", "8:16 Read 7\nTotal 7\n",
                "blkio.sectors_recursive", "8:16 64\n",
                "blkio.throttle.io_serviced_recursive", "8:16 Read 99\n");

        var stat = CgroupV1Stats.blkio(blkio, (major, minor) -> "");

        assertEquals(7, stat.getIoServicedRecursive(0).getValue());
        assertEquals(1, stat.getIoServicedRecursiveCount());
        assertEquals("", stat.getSectorsRecursive(0).getOp());
        assertEquals(64, stat.getSectorsRecursive(0).getValue());
    }

    @Test
    void hugetlbHasOneEntryPerPageSize() throws Exception {
        Path hugetlb = dir("hugetlb", "hugetlb.2MB.usage_in_bytes", "2097152\n", "hugetlb.2MB.failcnt", "1\n",
                "hugetlb.1GB.usage_in_bytes", "0\n", "hugetlb.2MB.limit_in_bytes", "9223372036854771712\n");

        var stats = CgroupV1Stats.hugetlb(hugetlb);

        assertEquals(List.of("1GB", "2MB"), stats.stream().map(s -> s.getPagesize()).toList());
        assertEquals(2097152, stats.get(1).getUsage());
        assertEquals(1, stats.get(1).getFailcnt());
    }

    @Test
    void aCgroupGoneFromEveryControllerIsNoSuchFile() {
        assertThrows(NoSuchFileException.class, () -> CgroupV1Stats.read(Map.of("memory", root.resolve("gone"))));
        assertThrows(NoSuchFileException.class, () -> CgroupV2Stats.read(root.resolve("gone")));
    }

    @Test
    void v2StatFilesFillMetricsByTheirKeys() throws Exception {
        Path dir = dir("c1", "pids.current", "2\n", "pids.max", "max\n",
                "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n",
                "memory.current", "4194304\n", "memory.max", "max\n", "memory.swap.current", "0\n",
                "memory.stat", "anon 1024\nfile 2048\npgfault 77\nzswap 5\n",
                "memory.events", "low 0\nhigh 0\nmax 0\noom 1\noom_kill 1\n",
                "io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n");

        var m = CgroupV2Stats.read(dir);

        assertEquals(2, m.getPids().getCurrent());
        assertEquals(-1L, m.getPids().getLimit(), "max is the largest uint64");
        assertEquals(1500, m.getCpu().getUsageUsec());
        assertEquals(500, m.getCpu().getSystemUsec());
        assertEquals(4194304, m.getMemory().getUsage());
        assertEquals(-1L, m.getMemory().getUsageLimit());
        assertEquals(1024, m.getMemory().getAnon());
        assertEquals(77, m.getMemory().getPgfault());
        assertEquals(1, m.getMemoryEvents().getOomKill());
        assertEquals(List.of(IOEntry.newBuilder().setMajor(8).setMinor(0).setRbytes(4096).setWbytes(8192).setRios(1).setWios(2).build()),
                m.getIo().getUsageList());
    }

    @Test
    void anAbsoluteCgroupsPathHoldsForEveryHierarchy() throws Exception {
        assertEquals(Map.of("", Path.of("default/c1")), CgroupStats.paths("/default/c1", null));
        assertEquals(Map.of("", Path.of("etc")), CgroupStats.paths("/../etc", null));
    }

    @Test
    void otherwiseTheInitsProcCgroupLocatesIt() throws Exception {
        String proc = """
                12:pids:/system.slice/cri-c1.scope
                4:cpu,cpuacct:/system.slice/cri-c1.scope
                1:name=systemd:/system.slice/cri-c1.scope
                0::/system.slice/cri-c1.scope
                """;
        Map<String, Path> paths = CgroupStats.paths("system.slice:cri:c1", proc);
        assertEquals(Path.of("system.slice/cri-c1.scope"), paths.get("cpuacct"));
        assertEquals(Path.of("system.slice/cri-c1.scope"), paths.get("unified"));
        assertTrue(paths.containsKey("pids"));
        assertThrows(NoSuchFileException.class, () -> CgroupStats.paths("system.slice:cri:c1", null),
                "an exited init locates nothing");
    }

    @Test
    void aHybridHostIsReadAsV1AndAPureUnifiedOneAsV2() throws Exception {
        Path memory = dir("memory/default/c1", "memory.usage_in_bytes", "100\n");
        Path unified = dir("unified/default/c1", "memory.current", "200\n");
        CgroupHierarchy v1 = new CgroupHierarchy("0:1", memory.getParent().getParent(), false, java.util.Set.of("rw", "memory"));
        CgroupHierarchy v2 = new CgroupHierarchy("0:2", unified.getParent().getParent(), true, java.util.Set.of("rw"));

        var hybrid = CgroupStats.read(List.of(v1, v2), "/default/c1", null);
        var pure = CgroupStats.read(List.of(v2), "/default/c1", null);

        assertEquals(100, ((Metrics) hybrid).getMemory().getUsage().getUsage());
        assertEquals(200, ((jrunc.proto.cgroups.v2.Metrics) pure).getMemory().getUsage());
    }
}
