package jrunc.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jrunc.proto.cgroups.v2.CPUStat;
import jrunc.proto.cgroups.v2.IOEntry;
import jrunc.proto.cgroups.v2.IOStat;
import jrunc.proto.cgroups.v2.MemoryEvents;
import jrunc.proto.cgroups.v2.MemoryStat;
import jrunc.proto.cgroups.v2.Metrics;
import jrunc.proto.cgroups.v2.PidsStat;

/**
 * A container's cgroup v2 metrics from its directory in the unified tree, as containerd/cgroups' v2 {@code Stat}
 * fills them: the stat files' keys are the proto's field names, and "max" (no limit) reads as the largest uint64.
 */
final class CgroupV2Stats {
    private static final long NO_LIMIT = -1L; // math.MaxUint64 on the wire

    private CgroupV2Stats() {}

    /** @throws NoSuchFileException when the directory is gone */
    static Metrics read(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new NoSuchFileException(dir.toString(), null, "cgroup does not exist");
        Metrics.Builder metrics = Metrics.newBuilder();

        PidsStat.Builder pids = PidsStat.newBuilder();
        Long current = CgroupFiles.uint64(dir.resolve("pids.current"), 0);
        Long limit = CgroupFiles.uint64(dir.resolve("pids.max"), NO_LIMIT);
        if (current != null) pids.setCurrent(current);
        if (limit != null) pids.setLimit(limit);
        metrics.setPids(pids);

        CPUStat.Builder cpu = CPUStat.newBuilder();
        CgroupFiles.setByName(cpu, CgroupFiles.flatKeyed(dir.resolve("cpu.stat")), key -> key);
        metrics.setCpu(cpu);

        MemoryStat.Builder memory = MemoryStat.newBuilder();
        CgroupFiles.setByName(memory, CgroupFiles.flatKeyed(dir.resolve("memory.stat")), key -> key);
        setIfPresent(CgroupFiles.uint64(dir.resolve("memory.current"), 0), memory::setUsage);
        setIfPresent(CgroupFiles.uint64(dir.resolve("memory.max"), NO_LIMIT), memory::setUsageLimit);
        setIfPresent(CgroupFiles.uint64(dir.resolve("memory.swap.current"), 0), memory::setSwapUsage);
        setIfPresent(CgroupFiles.uint64(dir.resolve("memory.swap.max"), NO_LIMIT), memory::setSwapLimit);
        setIfPresent(CgroupFiles.uint64(dir.resolve("memory.peak"), 0), memory::setMaxUsage);
        setIfPresent(CgroupFiles.uint64(dir.resolve("memory.swap.peak"), 0), memory::setSwapMaxUsage);
        metrics.setMemory(memory);

        MemoryEvents.Builder events = MemoryEvents.newBuilder();
        CgroupFiles.setByName(events, CgroupFiles.flatKeyed(dir.resolve("memory.events")), key -> key);
        metrics.setMemoryEvents(events);

        metrics.setIo(IOStat.newBuilder().addAllUsage(ioEntries(CgroupFiles.read(dir.resolve("io.stat")))));
        return metrics.build();
    }

    /** io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device; keys unknown to IOEntry are skipped. */
    static List<IOEntry> ioEntries(String text) {
        List<IOEntry> entries = new ArrayList<>();
        if (text == null) return entries;
        for (String line : text.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            String[] majorMinor = fields[0].split(":");
            if (majorMinor.length != 2 || !CgroupFiles.isUnsigned(majorMinor[0]) || !CgroupFiles.isUnsigned(majorMinor[1])) continue;
            IOEntry.Builder entry = IOEntry.newBuilder()
                    .setMajor(Long.parseLong(majorMinor[0])).setMinor(Long.parseLong(majorMinor[1]));
            java.util.Map<String, Long> values = new java.util.LinkedHashMap<>();
            for (int i = 1; i < fields.length; i++) {
                String[] kv = fields[i].split("=", 2);
                if (kv.length == 2 && CgroupFiles.isUnsigned(kv[1])) values.put(kv[0], Long.parseUnsignedLong(kv[1]));
            }
            CgroupFiles.setByName(entry, values, key -> key);
            entries.add(entry.build());
        }
        return entries;
    }

    private static void setIfPresent(Long value, java.util.function.LongConsumer setter) {
        if (value != null) setter.accept(value);
    }
}
