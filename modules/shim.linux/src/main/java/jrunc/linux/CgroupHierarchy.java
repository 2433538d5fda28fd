package jrunc.linux;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import jrunc.core.manager.MountInfo;

/**
 * A mounted cgroup hierarchy, read from /proc/self/mountinfo: a v1 hierarchy (fs type {@code cgroup}, one or more
 * controllers, or a named one such as name=systemd) or the v2 unified tree ({@code cgroup2}).
 *
 * @param device     major:minor of the hierarchy's superblock: the same hierarchy mounted twice has one device
 * @param mountPoint where it is mounted
 * @param unified    true for cgroup2
 * @param options    the super options, which name a v1 hierarchy's controllers
 */
record CgroupHierarchy(String device, Path mountPoint, boolean unified, Set<String> options) {

    CgroupHierarchy {
        options = Set.copyOf(options);
    }

    boolean hasController(String controller) {
        return !unified && options.contains(controller);
    }

    /**
     * Every cgroup hierarchy mounted at its root, once each. A mount of a sub-tree (root field other than "/", as a
     * bind mount into a container shows) is skipped: cgroup paths are relative to the hierarchy's root.
     */
    static List<CgroupHierarchy> parse(String mountinfo) {
        List<CgroupHierarchy> hierarchies = new ArrayList<>();
        Set<String> devices = new HashSet<>();
        for (MountInfo m : MountInfo.parse(mountinfo)) {
            boolean unified = m.fsType().equals("cgroup2");
            if (!unified && !m.fsType().equals("cgroup")) continue;
            if (!m.root().equals("/") || !devices.add(m.device())) continue;
            hierarchies.add(new CgroupHierarchy(m.device(), Path.of(m.mountPoint()), unified,
                    Set.of(m.superOptions().split(","))));
        }
        return hierarchies;
    }
}
