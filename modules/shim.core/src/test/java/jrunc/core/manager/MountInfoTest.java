package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class MountInfoTest {
    private static final String TEXT = """
            22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
            100 22 0:50 / /run/containerd/io.containerd.runtime.v2.task/default/c1/rootfs rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
            101 100 0:51 / /run/containerd/io.containerd.runtime.v2.task/default/c1/rootfs/proc rw - proc proc rw
            102 101 0:52 / /run/containerd/io.containerd.runtime.v2.task/default/c1/rootfs/proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw
            103 22 0:53 / /run/containerd/io.containerd.runtime.v2.task/default/c10/rootfs rw - overlay overlay rw
            104 22 0:54 / /mnt/with\\040space rw - tmpfs tmpfs rw
            garbage line
            """;

    @Test
    void parsesFieldsAndUnescapesPaths() {
        List<MountInfo> all = MountInfo.parse(TEXT);
        assertEquals(6, all.size());
        MountInfo overlay = all.get(1);
        assertEquals(100, overlay.mountId());
        assertEquals(22, overlay.parentId());
        assertEquals("overlay", overlay.fsType());
        assertEquals("overlay", overlay.source());
        assertEquals("/mnt/with space", all.get(5).mountPoint());
    }

    @Test
    void underListsDeepestFirstAndNotSiblingsWithACommonPrefix() {
        List<MountInfo> under = MountInfo.under(MountInfo.parse(TEXT),
                "/run/containerd/io.containerd.runtime.v2.task/default/c1/rootfs");
        assertEquals(List.of(102, 101, 100), under.stream().map(MountInfo::mountId).toList());
    }

    @Test
    void optionalFieldsMayBeAbsentOrMany() {
        MountInfo m = MountInfo.parseLine("7 1 0:5 / /a rw shared:2 master:3 propagate_from:4 - tmpfs none rw,size=1k");
        assertEquals("tmpfs", m.fsType());
        assertEquals("none", m.source());
        assertEquals("rw,size=1k", m.superOptions());
    }
}
