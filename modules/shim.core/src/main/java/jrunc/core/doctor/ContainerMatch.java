package jrunc.core.doctor;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import jrunc.core.doctor.Leftover.Proof;
import jrunc.core.doctor.NodeSnapshot.ProcessInfo;
import jrunc.core.doctor.NodeSnapshot.RuncState;

/**
 * Decides whether a live pid is still a given bundle's container. A pid read from {@code init.pid} is only a
 * number: after the container died, the kernel may have handed it to anyone. Go's shim never signals it itself (its
 * Stop leaves that to {@code runc delete --force}: containerd v1.6.20 runtime/v2/runc/manager/manager_linux.go); we
 * signal only a process that proves it is the container's, by one of two proofs:
 * <ul>
 *   <li>runc recorded exactly this pid with exactly this start time as the container's init;</li>
 *   <li>it runs in the spec's own cgroup, and that cgroup is this container's: named after it (as every containerd
 *       client names them), named by no other bundle, not {@code /}, and holding neither the doctor, its ancestors
 *       nor pid 1 (a {@code cgroupsPath} naming a shared cgroup, containerd's own for one, proves nothing).</li>
 * </ul>
 */
final class ContainerMatch {
    private ContainerMatch() {}

    /** The proof for {@code p}, or null. Protected pids (1, the doctor, its ancestors) never have one. */
    static Proof proof(ProcessInfo p, RuncState runc, String containerCgroup, Set<Integer> protectedPids) {
        if (protectedPids.contains(p.pid()) || p.pid() <= 1) return null;
        if (runc != null && runc.initPid() == p.pid() && runc.initStart() != 0) {
            // runc recorded the start time of exactly this pid: it is the one test that cannot be fooled, so a
            // mismatch is final even if the newcomer happens to share a cgroup.
            return runc.initStart() == p.startTicks() ? Proof.RUNC_START_TIME : null;
        }
        if (containerCgroup != null && cgroupPaths(p.cgroup()).contains(containerCgroup)) return Proof.CGROUP;
        return null;
    }

    static String why(Proof proof, String cgroupsPath) {
        return switch (proof) {
            case RUNC_START_TIME -> "start time matches runc state";
            case CGROUP -> "cgroup " + cgroupsPath;
            case SHIM -> "shim of this state directory";
        };
    }

    /**
     * The cgroup a spec's {@code cgroupsPath} puts the container in, as /proc/pid/cgroup shows it, resolved ("/a/.."
     * is "/"); null when it is the root. runc's systemd form {@code slice:prefix:name} becomes the unit
     * {@code prefix-name.scope} under the slice's path, e.g. {@code kubepods-besteffort-pod1.slice:cri-containerd:abc}
     * → {@code /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-abc.scope}.
     */
    static String cgroupOf(String cgroupsPath) {
        if (cgroupsPath == null || cgroupsPath.isEmpty()) return null;
        String[] systemd = cgroupsPath.split(":");
        String path;
        if (systemd.length == 3 && !cgroupsPath.startsWith("/")) {
            path = systemdSlicePath(systemd[0]) + "/" + systemd[1] + "-" + systemd[2] + ".scope";
        } else {
            path = cgroupsPath.startsWith("/") ? cgroupsPath : "/" + cgroupsPath;
        }
        String normal;
        try {
            normal = Path.of(path).normalize().toString();
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
        return normal.equals("/") || normal.isEmpty() ? null : normal;
    }

    /**
     * Whether the last element of {@code cgroup} names container {@code id}, as containerd's clients name a
     * container's cgroup: {@code /<ns>/<id>} (ctr), {@code /kubepods/<qos>/pod<uid>/<id>} (the CRI plugin on
     * cgroupfs), {@code cri-containerd-<id>.scope} (on systemd), {@code /docker/<id>} or {@code docker-<id>.scope}.
     */
    static boolean namesContainer(String cgroup, String id) {
        String last = cgroup.substring(cgroup.lastIndexOf('/') + 1);
        return !id.isEmpty() && (last.equals(id) || last.equals(id + ".scope") || last.endsWith("-" + id + ".scope"));
    }

    /** systemd expands {@code a-b-c.slice} to {@code /a.slice/a-b.slice/a-b-c.slice}; {@code -.slice} is the root. */
    private static String systemdSlicePath(String slice) {
        if (slice.isEmpty() || slice.equals("-.slice")) return "";
        String name = slice.endsWith(".slice") ? slice.substring(0, slice.length() - ".slice".length()) : slice;
        StringBuilder path = new StringBuilder();
        int dash = -1;
        do {
            dash = name.indexOf('-', dash + 1);
            path.append('/').append(dash < 0 ? name : name.substring(0, dash)).append(".slice");
        } while (dash >= 0);
        return path.toString();
    }

    /** The path of each line of a /proc/pid/cgroup text. */
    static Set<String> cgroupPaths(String cgroupText) {
        if (cgroupText == null) return Set.of();
        Set<String> out = new HashSet<>();
        for (String line : cgroupText.split("\n")) {
            int second = line.indexOf(':', line.indexOf(':') + 1);
            if (second >= 0) out.add(line.substring(second + 1));
        }
        return out;
    }

    /** A short description of someone else's process for a detail line: argv, trimmed. */
    static String describe(ProcessInfo p) {
        String argv = String.join(" ", p.argv());
        if (argv.isEmpty()) argv = "a kernel thread or zombie";
        return argv.length() > 60 ? argv.substring(0, 57) + "..." : argv;
    }
}
