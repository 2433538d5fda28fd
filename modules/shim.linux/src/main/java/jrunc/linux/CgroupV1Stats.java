package jrunc.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import jrunc.proto.cgroups.v1.BlkIOEntry;
import jrunc.proto.cgroups.v1.BlkIOStat;
import jrunc.proto.cgroups.v1.CPUStat;
import jrunc.proto.cgroups.v1.CPUUsage;
import jrunc.proto.cgroups.v1.HugetlbStat;
import jrunc.proto.cgroups.v1.MemoryEntry;
import jrunc.proto.cgroups.v1.MemoryOomControl;
import jrunc.proto.cgroups.v1.MemoryStat;
import jrunc.proto.cgroups.v1.Metrics;
import jrunc.proto.cgroups.v1.PidsStat;
import jrunc.proto.cgroups.v1.Throttle;

/**
 * A container's cgroup v1 metrics, controller by controller, as containerd/cgroups' v1 {@code Stat} fills them
 * (v1.1.0, used by containerd 1.6): a controller whose directory is missing is skipped, and so is a missing file.
 */
final class CgroupV1Stats {
    /** USER_HZ: cpuacct.stat counts in ticks of 1/100 s on every Linux ABI (containerd hard-codes it too). */
    private static final long NANOS_PER_TICK = 1_000_000_000L / 100;
    /** memory.stat keys whose proto field is spelled otherwise (containerd's names); the rest match. */
    private static final Map<String, String> MEMORY_STAT_FIELDS = Map.of(
            "pgpgin", "pg_pg_in", "pgpgout", "pg_pg_out", "pgfault", "pg_fault", "pgmajfault", "pg_maj_fault",
            "hierarchical_memsw_limit", "hierarchical_swap_limit");
    /** The CFQ-era per-cgroup files, each named as its BlkIOStat field; blk-mq kernels have none of them. */
    private static final List<String> CFQ_FILES = List.of(
            "io_service_bytes_recursive", "io_serviced_recursive", "io_queued_recursive", "io_service_time_recursive",
            "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive", "sectors_recursive");

    private CgroupV1Stats() {}

    /**
     * @param dirs the cgroup's directory per controller name (pids, cpu, cpuacct, memory, blkio, hugetlb)
     * @throws NoSuchFileException when not one of them exists: the cgroup is gone
     */
    static Metrics read(Map<String, Path> dirs) throws IOException {
        Metrics.Builder metrics = Metrics.newBuilder();
        boolean found = false;
        for (Map.Entry<String, Path> e : dirs.entrySet()) {
            Path dir = e.getValue();
            if (!Files.isDirectory(dir)) continue;
            found = true;
            switch (e.getKey()) {
                case "pids" -> metrics.setPids(pids(dir));
                case "cpuacct" -> metrics.setCpu(metrics.getCpu().toBuilder().setUsage(cpuUsage(dir)));
                case "cpu" -> metrics.setCpu(metrics.getCpu().toBuilder().setThrottling(throttling(dir)));
                case "memory" -> {
                    metrics.setMemory(memory(dir));
                    metrics.setMemoryOomControl(oomControl(dir));
                }
                case "blkio" -> metrics.setBlkio(blkio(dir, CgroupV1Stats::deviceName));
                case "hugetlb" -> metrics.addAllHugetlb(hugetlb(dir));
                default -> { }
            }
        }
        if (!found) throw new NoSuchFileException(String.valueOf(dirs.values()), null, "cgroup does not exist");
        return metrics.build();
    }

    /** pids.max "max" is reported as limit 0 (no limit). */
    static PidsStat pids(Path dir) throws IOException {
        PidsStat.Builder pids = PidsStat.newBuilder();
        Long current = CgroupFiles.uint64(dir.resolve("pids.current"), 0);
        Long limit = CgroupFiles.uint64(dir.resolve("pids.max"), 0);
        if (current != null) pids.setCurrent(current);
        if (limit != null) pids.setLimit(limit);
        return pids.build();
    }

    static CPUUsage cpuUsage(Path dir) throws IOException {
        CPUUsage.Builder usage = CPUUsage.newBuilder();
        Long total = CgroupFiles.uint64(dir.resolve("cpuacct.usage"), 0);
        if (total != null) usage.setTotal(total);
        String perCpu = CgroupFiles.read(dir.resolve("cpuacct.usage_percpu"));
        if (perCpu != null) {
            for (String v : perCpu.trim().split("\\s+")) {
                if (CgroupFiles.isUnsigned(v)) usage.addPerCpu(Long.parseUnsignedLong(v));
            }
        }
        Map<String, Long> ticks = CgroupFiles.flatKeyed(dir.resolve("cpuacct.stat"));
        usage.setUser(ticks.getOrDefault("user", 0L) * NANOS_PER_TICK);
        usage.setKernel(ticks.getOrDefault("system", 0L) * NANOS_PER_TICK);
        return usage.build();
    }

    static Throttle throttling(Path dir) throws IOException {
        Map<String, Long> stat = CgroupFiles.flatKeyed(dir.resolve("cpu.stat"));
        return Throttle.newBuilder()
                .setPeriods(stat.getOrDefault("nr_periods", 0L))
                .setThrottledPeriods(stat.getOrDefault("nr_throttled", 0L))
                .setThrottledTime(stat.getOrDefault("throttled_time", 0L))
                .build();
    }

    static MemoryStat memory(Path dir) throws IOException {
        MemoryStat.Builder memory = MemoryStat.newBuilder();
        CgroupFiles.setByName(memory, CgroupFiles.flatKeyed(dir.resolve("memory.stat")), key -> {
            String total = key.startsWith("total_") ? "total_" : "";
            String base = key.substring(total.length());
            return total + MEMORY_STAT_FIELDS.getOrDefault(base, base);
        });
        memory.setUsage(memoryEntry(dir, "memory"));
        // memsw exists only with swap accounting on; containerd then leaves swap empty as well
        if (Files.exists(dir.resolve("memory.memsw.usage_in_bytes"))) memory.setSwap(memoryEntry(dir, "memory.memsw"));
        memory.setKernel(memoryEntry(dir, "memory.kmem"));
        memory.setKernelTcp(memoryEntry(dir, "memory.kmem.tcp"));
        return memory.build();
    }

    private static MemoryEntry memoryEntry(Path dir, String prefix) throws IOException {
        MemoryEntry.Builder entry = MemoryEntry.newBuilder();
        Long usage = CgroupFiles.uint64(dir.resolve(prefix + ".usage_in_bytes"), 0);
        Long max = CgroupFiles.uint64(dir.resolve(prefix + ".max_usage_in_bytes"), 0);
        Long failcnt = CgroupFiles.uint64(dir.resolve(prefix + ".failcnt"), 0);
        Long limit = CgroupFiles.uint64(dir.resolve(prefix + ".limit_in_bytes"), 0);
        if (usage != null) entry.setUsage(usage);
        if (max != null) entry.setMax(max);
        if (failcnt != null) entry.setFailcnt(failcnt);
        if (limit != null) entry.setLimit(limit);
        return entry.build();
    }

    static MemoryOomControl oomControl(Path dir) throws IOException {
        MemoryOomControl.Builder oom = MemoryOomControl.newBuilder();
        CgroupFiles.setByName(oom, CgroupFiles.flatKeyed(dir.resolve("memory.oom_control")), key -> key);
        return oom.build();
    }

    /**
     * The CFQ/BFQ files when the kernel has them, else the throttle layer's two recursive counters, which every
     * blk-mq kernel keeps (containerd's fallback too).
     */
    static BlkIOStat blkio(Path dir, DeviceNames names) throws IOException {
        BlkIOStat.Builder blkio = BlkIOStat.newBuilder();
        if (Files.exists(dir.resolve("blkio.io_serviced_recursive"))) {
            for (String name : CFQ_FILES) {
                var field = BlkIOStat.getDescriptor().findFieldByName(name);
                for (BlkIOEntry entry : blkioEntries(dir.resolve("blkio." + name), names)) {
                    blkio.addRepeatedField(field, entry);
                }
            }
        } else {
            blkio.addAllIoServiceBytesRecursive(blkioEntries(dir.resolve("blkio.throttle.io_service_bytes_recursive"), names));
            blkio.addAllIoServicedRecursive(blkioEntries(dir.resolve("blkio.throttle.io_serviced_recursive"), names));
        }
        return blkio.build();
    }

    /** "8:0 Read 4096" or "8:0 4096" lines; the closing "Total n" line is a sum, not a device, and is left out. */
    static List<BlkIOEntry> blkioEntries(Path file, DeviceNames names) throws IOException {
        String text = CgroupFiles.read(file);
        if (text == null) return List.of();
        Map<String, String> seen = new HashMap<>();
        return text.lines().map(line -> line.trim().split("\\s+"))
                .filter(f -> (f.length == 3 || f.length == 2) && f[0].contains(":") && CgroupFiles.isUnsigned(f[f.length - 1]))
                .flatMap(f -> {
                    String[] majorMinor = f[0].split(":");
                    if (majorMinor.length != 2 || !CgroupFiles.isUnsigned(majorMinor[0]) || !CgroupFiles.isUnsigned(majorMinor[1])) {
                        return Stream.empty();
                    }
                    long major = Long.parseLong(majorMinor[0]), minor = Long.parseLong(majorMinor[1]);
                    String device = seen.computeIfAbsent(f[0], k -> names.of(major, minor));
                    return Stream.of(BlkIOEntry.newBuilder().setOp(f.length == 3 ? f[1] : "").setDevice(device)
                            .setMajor(major).setMinor(minor).setValue(Long.parseUnsignedLong(f[f.length - 1])).build());
                })
                .toList();
    }

    /** One HugetlbStat per page size the controller offers (files hugetlb.&lt;size&gt;.usage_in_bytes). */
    static List<HugetlbStat> hugetlb(Path dir) throws IOException {
        List<String> sizes;
        try (Stream<Path> files = Files.list(dir)) {
            sizes = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith("hugetlb.") && n.endsWith(".usage_in_bytes"))
                    .map(n -> n.substring("hugetlb.".length(), n.length() - ".usage_in_bytes".length()))
                    .sorted().toList();
        }
        List<HugetlbStat> stats = new java.util.ArrayList<>();
        for (String size : sizes) {
            HugetlbStat.Builder stat = HugetlbStat.newBuilder().setPagesize(size);
            Long usage = CgroupFiles.uint64(dir.resolve("hugetlb." + size + ".usage_in_bytes"), 0);
            Long max = CgroupFiles.uint64(dir.resolve("hugetlb." + size + ".max_usage_in_bytes"), 0);
            Long failcnt = CgroupFiles.uint64(dir.resolve("hugetlb." + size + ".failcnt"), 0);
            if (usage != null) stat.setUsage(usage);
            if (max != null) stat.setMax(max);
            if (failcnt != null) stat.setFailcnt(failcnt);
            stats.add(stat.build());
        }
        return stats;
    }

    /** The /dev path of a block device, for BlkIOEntry.device. */
    @FunctionalInterface
    interface DeviceNames {
        String of(long major, long minor);
    }

    /** From the kernel's uevent for the device (DEVNAME=sda); "" when it has none, as for a device since removed. */
    static String deviceName(long major, long minor) {
        try {
            for (String line : Files.readAllLines(Path.of("/sys/dev/block/" + major + ":" + minor + "/uevent"))) {
                if (line.startsWith("DEVNAME=")) return "/dev/" + line.substring("DEVNAME=".length());
            }
        } catch (IOException e) {
            // no such device any more: leave the name out
        }
        return "";
    }
}
