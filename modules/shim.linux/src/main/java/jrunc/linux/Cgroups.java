package jrunc.linux;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Moves a process into a cgroup path in every mounted hierarchy: each v1 hierarchy and the unified tree on a
 * hybrid host, the unified tree alone on a pure v2 host. This is what start does with the {@code shim_cgroup}
 * option (runtime/v2/runc/manager/manager_linux.go, containerd v1.6.20, through containerd/cgroups).
 */
final class Cgroups {
    private static final System.Logger LOG = System.getLogger(Cgroups.class.getName());

    private Cgroups() {}

    static void join(List<CgroupHierarchy> hierarchies, int pid, String cgroupPath) throws IOException {
        Path relative = relative(cgroupPath);
        IOException firstRefusal = null;
        int joined = 0;
        for (CgroupHierarchy hierarchy : hierarchies) {
            try {
                Path dir = create(hierarchy, relative);
                Files.writeString(dir.resolve("cgroup.procs"), Integer.toString(pid));
                joined++;
            } catch (IOException e) {
                // a v1 controller can refuse (say, cpuset with no cpus); the others still count
                LOG.log(Level.WARNING, "cgroup " + hierarchy.mountPoint() + " refused pid " + pid + ": " + e);
                if (firstRefusal == null) firstRefusal = e;
            }
        }
        if (joined == 0) {
            throw new IOException("join cgroup " + cgroupPath + ": "
                    + (hierarchies.isEmpty() ? "no cgroup hierarchy is mounted" : "no hierarchy accepted pid " + pid),
                    firstRefusal);
        }
    }

    /**
     * The path below a hierarchy's root, written with or without a leading '/'. It is resolved as the kernel
     * resolves it from "/" ("/.." is "/"), so no ".." can lead out of the hierarchy.
     */
    static Path relative(String cgroupPath) throws IOException {
        Path relative = Path.of("/").relativize(Path.of("/", cgroupPath).normalize());
        if (relative.toString().isEmpty()) {
            throw new IOException("join cgroup " + cgroupPath + ": not a cgroup path below the root");
        }
        return relative;
    }

    /**
     * Creates the cgroup one level at a time. A new v1 cpuset cgroup starts with no cpus and no memory nodes and
     * takes no process until it has some, so each new level inherits its parent's, as containerd/cgroups does.
     */
    private static Path create(CgroupHierarchy hierarchy, Path relative) throws IOException {
        Path dir = hierarchy.mountPoint();
        for (Path name : relative) {
            Path child = dir.resolve(name.toString());
            if (!Files.isDirectory(child)) {
                Files.createDirectories(child);
                if (hierarchy.hasController("cpuset")) {
                    copyIfEmpty(dir, child, "cpuset.cpus");
                    copyIfEmpty(dir, child, "cpuset.mems");
                }
            }
            dir = child;
        }
        return dir;
    }

    private static void copyIfEmpty(Path parent, Path child, String file) throws IOException {
        if (Files.readString(child.resolve(file)).isBlank()) {
            Files.writeString(child.resolve(file), Files.readString(parent.resolve(file)).trim());
        }
    }
}
