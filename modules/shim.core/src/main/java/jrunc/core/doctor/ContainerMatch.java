package jrunc.core.doctor;

import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.doctor.NodeSnapshot.ProcessInfo;
import jrunc.core.doctor.NodeSnapshot.RuncState;

/**
 * Decides whether a live pid is still a given bundle's container. A pid read from {@code init.pid} is only a
 * number: after the container died, the kernel may have handed it to anyone. Go's shim never signals it itself (its
 * Stop leaves that to {@code runc delete --force}: containerd v1.6.20 runtime/v2/runc/manager/manager_linux.go); we
 * signal only a process that proves it is the container's.
 */
final class ContainerMatch {
    private ContainerMatch() {}

    /** Why a process is the container's, or null when it is not. */
    static String reason(ProcessInfo p, Bundle b, RuncState runc) {
        if (runc != null && runc.initPid() == p.pid() && runc.initStart() != 0) {
            // runc recorded the start time of exactly this pid: it is the one test that cannot be fooled, so a
            // mismatch is final even if the newcomer happens to share a cgroup.
            return runc.initStart() == p.startTicks() ? "start time matches runc state" : null;
        }
        if (b != null && b.cgroupsPath() != null && inCgroup(p.cgroup(), b.cgroupsPath())) {
            return "cgroup " + b.cgroupsPath();
        }
        if (b != null && p.root() != null && p.root().equals(b.rootfs().toString())) {
            return "root is the bundle's rootfs";
        }
        return null;
    }

    /**
     * True when one line of {@code /proc/<pid>/cgroup} ("hierarchy:controllers:path") names the spec's
     * {@code cgroupsPath}.
     */
    static boolean inCgroup(String cgroupText, String cgroupsPath) {
        return cgroupsPath != null && cgroupPaths(cgroupText).contains(cgroupOf(cgroupsPath));
    }

    /**
     * The cgroup a spec's {@code cgroupsPath} puts the container in, as /proc/pid/cgroup shows it. runc's systemd
     * form {@code slice:prefix:name} becomes the unit {@code prefix-name.scope} under the slice's path, e.g.
     * {@code kubepods-besteffort-pod1.slice:cri-containerd:abc} →
     * {@code /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-abc.scope}.
     */
    static String cgroupOf(String cgroupsPath) {
        String[] systemd = cgroupsPath.split(":");
        if (systemd.length == 3 && !cgroupsPath.startsWith("/")) {
            return systemdSlicePath(systemd[0]) + "/" + systemd[1] + "-" + systemd[2] + ".scope";
        }
        return cgroupsPath.startsWith("/") ? cgroupsPath : "/" + cgroupsPath;
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
    static java.util.Set<String> cgroupPaths(String cgroupText) {
        if (cgroupText == null) return java.util.Set.of();
        java.util.Set<String> out = new java.util.HashSet<>();
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
