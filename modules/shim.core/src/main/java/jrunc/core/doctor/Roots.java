package jrunc.core.doctor;

import java.nio.file.Path;

/**
 * The three directories shim-doctor judges, each already resolved to its real path (so {@code /var/run/containerd}
 * and {@code /run/containerd/./} are {@code /run/containerd}). Whatever the doctor removes, unmounts or signals lies
 * inside these roots: the checks here are the ones every planned action and every executed action passes.
 *
 * @param stateDir  containerd's {@code state}; bundles are {@code <stateDir>/io.containerd.runtime.v2.task/<ns>/<id>}
 * @param socketDir where shims put their sockets
 * @param runcRoot  runc's root without the namespace
 */
public record Roots(Path stateDir, Path socketDir, Path runcRoot) {
    public Roots {
        for (Path p : new Path[] {stateDir, socketDir, runcRoot}) {
            if (!p.isAbsolute() || !p.normalize().equals(p)) throw new IllegalArgumentException("not a canonical path: " + p);
        }
    }

    /** {@code <stateDir>/io.containerd.runtime.v2.task}. */
    public Path tasksDir() {
        return stateDir.resolve(NodeSnapshot.TASK_DIR);
    }

    /** A bundle directory: {@code <tasksDir>/<ns>/<name>} exactly, nothing deeper, nothing beside. */
    public boolean isBundleDir(Path p) {
        return isNormal(p) && p.getParent() != null && p.getParent().getParent() != null
               && p.getParent().getParent().equals(tasksDir());
    }

    /** Strictly below a bundle directory (a mount point inside it). */
    public boolean isInsideBundle(Path p) {
        if (!isNormal(p)) return false;
        for (Path q = p.getParent(); q != null; q = q.getParent()) {
            if (isBundleDir(q)) return true;
        }
        return false;
    }

    /** A socket file directly in the socket directory. */
    public boolean isSocketFile(Path p) {
        return isNormal(p) && socketDir.equals(p.getParent());
    }

    /** runc's {@code <runcRoot>/<ns>/<id>}. */
    public boolean isRuncStateDir(Path p) {
        return isNormal(p) && p.getParent() != null && runcRoot.equals(p.getParent().getParent());
    }

    private static boolean isNormal(Path p) {
        return p != null && p.isAbsolute() && p.normalize().equals(p);
    }
}
