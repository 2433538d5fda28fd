package jrunc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CgroupHierarchyTest {
    // a hybrid host, as this build machine: v1 controllers, a named hierarchy and the unified tree
    private static final String HYBRID = """
            25 30 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
            26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
            27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,xattr,name=systemd
            31 25 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:15 - cgroup cgroup rw,cpu,cpuacct
            32 25 0:30 / /sys/fs/cgroup/cpuset rw,nosuid shared:16 - cgroup cgroup rw,cpuset
            40 30 0:30 / /mnt/cpuset\\040copy rw shared:16 - cgroup cgroup rw,cpuset
            41 30 0:29 /kubepods /host/cpu rw - cgroup cgroup rw,cpu,cpuacct
            50 30 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
            """;

    @Test
    void everyHierarchyMountedAtItsRootIsFoundOnce() {
        List<CgroupHierarchy> found = CgroupHierarchy.parse(HYBRID);
        assertEquals(List.of(Path.of("/sys/fs/cgroup/unified"), Path.of("/sys/fs/cgroup/systemd"),
                Path.of("/sys/fs/cgroup/cpu,cpuacct"), Path.of("/sys/fs/cgroup/cpuset")),
                found.stream().map(CgroupHierarchy::mountPoint).toList());
        assertTrue(found.get(0).unified());
        assertTrue(found.get(2).hasController("cpuacct"));
        assertFalse(found.get(0).hasController("cpuset"));
    }

    @Test
    void pureV2HostHasOnlyTheUnifiedTree() {
        String v2 = "30 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";
        List<CgroupHierarchy> found = CgroupHierarchy.parse(v2);
        assertEquals(1, found.size());
        assertTrue(found.getFirst().unified());
    }

    @Test
    void octalEscapesInMountPointsAreDecoded() {
        String line = "40 23 0:40 / /mnt/cg\\040x rw - cgroup cgroup rw,pids\n";
        assertEquals(Path.of("/mnt/cg x"), CgroupHierarchy.parse(line).getFirst().mountPoint());
    }

    @Test
    void cgroupPathIsRelativeToEachHierarchyAndMayNotClimbOut() throws IOException {
        assertEquals(Path.of("podruntime/shim"), Cgroups.relative("/podruntime/shim"));
        assertEquals(Path.of("podruntime/shim"), Cgroups.relative("podruntime/shim"));
        assertThrows(IOException.class, () -> Cgroups.relative("/"));
        assertEquals(Path.of("etc"), Cgroups.relative("../../etc"));
    }
}
