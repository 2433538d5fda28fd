package jrunc.linux;

import com.google.protobuf.Message;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds a container's cgroup in the mounted hierarchies and reads its metrics: v1 on a v1 or hybrid host (any v1
 * controller mounted; containerd 1.6 uses the v1 library then, so does CRI), v2 on a pure unified host.
 */
final class CgroupStats {
    /** The v1 controllers that have something for Metrics. */
    static final Set<String> V1_CONTROLLERS = Set.of("pids", "cpu", "cpuacct", "memory", "blkio", "hugetlb");

    private CgroupStats() {}

    /**
     * @param cgroupsPath the spec's path; an absolute one is below each hierarchy's root, as runc's cgroupfs driver
     *                    makes it
     * @param procCgroup  the text of /proc/&lt;init&gt;/cgroup, or null when the init has exited; used when the path
     *                    is not absolute (systemd's slice:prefix:name, or none), so the cgroup is where runc put it
     */
    static Message read(List<CgroupHierarchy> hierarchies, String cgroupsPath, String procCgroup) throws IOException {
        boolean v1 = hierarchies.stream().anyMatch(h -> V1_CONTROLLERS.stream().anyMatch(h::hasController));
        Map<String, Path> paths = paths(cgroupsPath, procCgroup);
        if (v1) {
            Map<String, Path> dirs = new LinkedHashMap<>();
            for (String controller : V1_CONTROLLERS.stream().sorted().toList()) {
                Path relative = paths.containsKey("") ? paths.get("") : paths.get(controller);
                CgroupHierarchy h = hierarchies.stream().filter(x -> x.hasController(controller)).findFirst().orElse(null);
                if (relative != null && h != null) dirs.put(controller, h.mountPoint().resolve(relative.toString()));
            }
            return CgroupV1Stats.read(dirs);
        }
        CgroupHierarchy unified = hierarchies.stream().filter(CgroupHierarchy::unified).findFirst()
                .orElseThrow(() -> new NoSuchFileException("/sys/fs/cgroup", null, "no cgroup hierarchy is mounted"));
        Path relative = paths.containsKey("") ? paths.get("") : paths.get("unified");
        if (relative == null) throw new NoSuchFileException(cgroupsPath, null, "cgroup not found in the unified tree");
        return CgroupV2Stats.read(unified.mountPoint().resolve(relative.toString()));
    }

    /**
     * The cgroup below the hierarchy roots: under key "" when one path holds for all (an absolute cgroupsPath), else
     * per v1 controller and "unified", from /proc/&lt;pid&gt;/cgroup ("id:controllers:path" lines, "0::path" for v2).
     */
    static Map<String, Path> paths(String cgroupsPath, String procCgroup) throws IOException {
        Map<String, Path> paths = new LinkedHashMap<>();
        if (cgroupsPath.startsWith("/")) {
            paths.put("", relative(cgroupsPath));
            return paths;
        }
        if (procCgroup == null) {
            throw new NoSuchFileException(cgroupsPath, null, "the cgroup cannot be located: no absolute cgroupsPath and the init has exited");
        }
        for (String line : procCgroup.split("\n")) {
            String[] fields = line.split(":", 3);
            if (fields.length != 3) continue;
            Path relative = relative(fields[2]);
            if (fields[1].isEmpty()) {
                paths.put("unified", relative);
            } else {
                for (String controller : fields[1].split(",")) paths.put(controller, relative);
            }
        }
        return paths;
    }

    /** Resolved from "/" as the kernel does, so no ".." leads out of a hierarchy; the root itself is "". */
    private static Path relative(String path) {
        return Path.of("/").relativize(Path.of("/", path).normalize());
    }
}
