package jrunc.core.doctor;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.doctor.NodeSnapshot.ProcessInfo;
import jrunc.core.doctor.NodeSnapshot.RuncState;
import jrunc.core.doctor.NodeSnapshot.ShimAnswer;
import jrunc.core.fake.Gen;
import jrunc.core.manager.MountInfo;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.SocketProbe.Result;

/**
 * A random node for the doctor's property tests, as hostile as a crashed node can be and more: the roots in
 * containerd's default layout or nested elsewhere; bundles live, dead, hidden, half-written, unreadable, outside
 * the task directory or with paths that are not canonical; names containerd could never make; addresses naming
 * any file; mounts at every depth; runc state of this bundle, of another one, of nothing; pid 1, the doctor, its
 * ancestors and reused pids in init.pid and in cgroups of {@code /}, of the doctor's own, of systemd slices; Go's and
 * our shims in and out of this state directory, of this containerd and another, listening where they say or not,
 * answering anything; sockets of every probe result.
 */
final class RandomNode {
    static final String CONTAINERD = "/run/containerd/containerd.sock";
    static final String OTHER_CONTAINERD = "/var/run/other/containerd.sock";
    static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    /** containerd's pid: no plan may ever signal it. */
    static final int CONTAINERD_PID = 700;

    private static final List<String> NAMESPACES = List.of("default", "k8s.io", "e2e-a", "bad\nns", "..", "a/b", "",
            "x".repeat(80), "moby");
    private static final List<String> IDS = List.of("web", "db", "pod-a", "pod-b", "x.y_z", "ghost", "a\nb", "..", ".",
            "with space", "../../etc", "\u001b[2J", "", "-rf", "c1", "c2", "sandbox", "a".repeat(77));
    private static final List<String> CGROUP_PATHS = List.of("/", "", "/default/web", "/k8s.io/db", "/user.slice",
            "/default/../..", "kubepods-besteffort-pod1.slice:cri-containerd:web", "/system.slice/containerd.service",
            "-.slice:x:y", "relative/path", "/default/c1", "/k8s.io/pod-a");
    private static final List<Roots> ROOTS = List.of(
            new Roots(Path.of("/run/containerd"), Path.of("/run/containerd/s"), Path.of("/run/containerd/runc")),
            new Roots(Path.of("/var/lib/k/state"), Path.of("/run/containerd/s"), Path.of("/run/containerd/runc")),
            new Roots(Path.of("/tmp/t/state"), Path.of("/tmp/t/state/s"), Path.of("/tmp/t/state/io.containerd.runtime.v2.task")));

    private final Gen g;
    final Roots roots;
    final int doctor;
    private final List<Bundle> bundles = new ArrayList<>();
    private final Map<Path, Result> sockets = new HashMap<>();
    private final List<MountInfo> mounts = new ArrayList<>();
    private final Map<Integer, ProcessInfo> processes = new HashMap<>();
    private final List<RuncState> runc = new ArrayList<>();
    private final Map<Integer, Path> listeners = new HashMap<>();
    private final Map<Path, ShimAnswer> answers = new HashMap<>();
    private final List<Integer> pids = new ArrayList<>();
    private int mountId = 200;

    private RandomNode(Gen g) {
        this.g = g;
        this.roots = g.pick(ROOTS);
        this.doctor = 31_000 + g.between(0, 5);
    }

    static NodeSnapshot of(Gen g) {
        return new RandomNode(g).build();
    }

    private NodeSnapshot build() {
        process(new ProcessInfo(1, 0, List.of("/sbin/init"), 1, "0::/", null));
        // the doctor under a shell under sshd: its ancestors are protected too, and share the cgroups it is in
        String doctorCgroup = g.pick("0::/user.slice", "0::/default/web", "0::/", "12:memory:/k8s.io/db\n0::/user.slice");
        process(new ProcessInfo(doctor - 2, 1, List.of("sshd"), 2, "0::/system.slice/ssh.service", "/"));
        process(new ProcessInfo(doctor - 1, doctor - 2, List.of("bash"), 3, doctorCgroup, "/root"));
        process(new ProcessInfo(doctor, doctor - 1, List.of("shim-doctor", "clean"), 4, doctorCgroup, "/root"));
        // containerd itself, in the cgroup Go's shims share with it (unless ShimCgroup moved them)
        process(new ProcessInfo(CONTAINERD_PID, 1, List.of("/usr/bin/containerd"), 5,
                "0::/system.slice/containerd.service", "/"));
        for (int i = 0, n = g.between(0, 14); i < n; i++) {
            int pid = g.bool() ? 100 + g.between(0, 60) : g.pick(pids);
            if (pid <= 1 || pid == doctor || pid == CONTAINERD_PID || processes.containsKey(pid) && g.bool()) continue;
            process(new ProcessInfo(pid, g.bool() ? 1 : g.pick(pids), List.of("sleep", "600"), g.between(0, 60),
                    cgroupText(), g.oneIn(4) ? "/" : null));
        }
        for (int i = 0, n = g.between(0, 9); i < n; i++) bundle(i);
        mounts.add(mount(Path.of("/mnt/unrelated"), "tmpfs"));
        if (g.bool()) mounts.add(mount(roots.tasksDir(), "tmpfs"));
        for (int i = 0, n = g.between(0, 3); i < n; i++) {
            Path s = switch (g.between(0, 3)) {
                case 0 -> roots.socketDir().resolve("orphan-" + i);
                case 1 -> roots.socketDir().resolve("sub").resolve("deeper-" + i);
                case 2 -> roots.socketDir().resolve(SocketAddress.hash(g.pick(CONTAINERD, OTHER_CONTAINERD), g.pick(NAMESPACES), g.pick(IDS)));
                default -> Path.of("/run/containerd/s/../../etc/x" + i);
            };
            sockets.put(s, g.pick(Result.values()));
        }
        for (int i = 0, n = g.between(0, 2); i < n; i++) leakedShim(900 + i);
        Set<String> addresses = new HashSet<>(Set.of(CONTAINERD));
        if (g.bool()) addresses.add(OTHER_CONTAINERD);
        Set<String> scope = g.weighted(3, 1, 1) == 0 ? Set.of() : g.bool() ? Set.of(CONTAINERD) : Set.of(OTHER_CONTAINERD);
        return new NodeSnapshot(roots, NOW, doctor, bundles, runc, sockets, mounts, processes, addresses, scope,
                listeners, answers);
    }

    private void process(ProcessInfo p) {
        processes.put(p.pid(), p);
        if (!pids.contains(p.pid())) pids.add(p.pid());
    }

    /** /proc/pid/cgroup text: v2, v1 with several hierarchies, or unreadable. */
    private String cgroupText() {
        return switch (g.weighted(5, 2, 1)) {
            case 0 -> "0::" + cgroup(g.pick(CGROUP_PATHS));
            case 1 -> "12:memory:" + cgroup(g.pick(CGROUP_PATHS)) + "\n11:pids:" + cgroup(g.pick(CGROUP_PATHS)) + "\n0::/";
            default -> null;
        };
    }

    /** How a spec's cgroupsPath shows in /proc/pid/cgroup. */
    private static String cgroup(String cgroupsPath) {
        String c = ContainerMatch.cgroupOf(cgroupsPath);
        return c == null ? "/" : c;
    }

    private void bundle(int i) {
        String ns = g.pick(NAMESPACES), id = g.pick(IDS);
        boolean hidden = g.oneIn(6);
        String dirName = (hidden ? "." : "") + id;
        Path path = switch (g.weighted(12, 1, 1, 1)) {
            case 0 -> roots.tasksDir().resolve(safe(ns, "ns")).resolve(safe(dirName, "id" + i));
            case 1 -> Path.of("/etc/not-a-bundle-" + i);
            case 2 -> roots.tasksDir().resolve(safe(ns, "ns")).resolve("deeper").resolve(safe(dirName, "id" + i));
            default -> Path.of(roots.tasksDir() + "/" + safe(ns, "ns") + "/../../escape-" + i);
        };
        // a scan lists each directory once
        if (bundles.stream().anyMatch(b -> b.path().equals(path))) return;
        String group = g.oneIn(3) ? g.pick("pod-a", "pod-b", id) : null;
        String key = group == null ? id : group;
        Path socket = switch (g.weighted(1, 1, 1, 6)) {
            case 0 -> Path.of("/etc/passwd");
            case 1 -> Path.of("/tmp/elsewhere-" + i + ".sock");
            case 2 -> roots.socketDir().resolve("..").resolve("x.sock");
            default -> roots.socketDir().resolve(SocketAddress.hash(g.pick(CONTAINERD, OTHER_CONTAINERD), ns, key));
        };
        if (g.oneIn(8) && !sockets.isEmpty()) socket = g.pick(new ArrayList<>(sockets.keySet())); // shared with another
        sockets.put(socket, g.pick(Result.values()));
        String address = switch (g.weighted(1, 1, 1, 6)) {
            case 0 -> null;
            case 1 -> "garbage";
            case 2 -> "unix://relative/x.sock";
            default -> SocketAddress.UNIX_PREFIX + socket;
        };
        int initPid = g.pick(pids);
        String initPidText = switch (g.weighted(3, 6, 1, 1)) {
            case 0 -> null;
            case 1 -> Integer.toString(initPid);
            case 2 -> g.pick("-1", "0", "abc", " 42\n", "99999999999");
            default -> Integer.toString(g.pick(1, doctor, doctor - 1));
        };
        Set<String> files = new HashSet<>(Set.of("config.json"));
        if (address != null) files.add("address");
        if (initPidText != null) files.add("init.pid");
        if (g.bool()) files.addAll(Set.of("rootfs", "log", "work", "options.json", "runtime"));
        Map<String, String> unreadable = g.oneIn(8) ? Map.of(g.pick("config.json", "address", "init.pid"), "a FIFO") : Map.of();
        String cgroupsPath = g.oneIn(5) ? null : g.pick(CGROUP_PATHS);
        Instant modified = g.bool() ? NOW.minus(Duration.ofMinutes(g.between(0, 30))) : NOW.minus(Duration.ofDays(1));
        bundles.add(new Bundle(ns, id, path, hidden, files, address, initPidText, group, cgroupsPath,
                g.oneIn(8) ? "owned by uid 1000" : null, modified, unreadable));
        if (g.bool()) {
            Path at = switch (g.between(0, 4)) {
                case 0, 1 -> path.resolve("rootfs");
                case 2 -> path.resolve("rootfs/proc");
                case 3 -> path;
                default -> path.resolve("rootfs/../../other");
            };
            mounts.add(mount(at, g.pick("overlay", "proc", "tmpfs")));
        }
        // runc keeps one state directory per namespace and id
        if (g.oneIn(3) && runc.stream().noneMatch(r -> r.namespace().equals(ns) && r.id().equals(id))) {
            // runc records its container's init (its pid and start time): never containerd's own identity
            int pid = g.pick(pids.stream().filter(x -> x != CONTAINERD_PID).toList());
            Path dir = switch (g.weighted(6, 1, 1)) {
                case 0 -> roots.runcRoot().resolve(safe(ns, "ns")).resolve(safe(id, "id"));
                case 1 -> Path.of("/var/run/runc/" + i);
                default -> roots.runcRoot().resolve("a/b/c");
            };
            runc.add(new RuncState(ns, id, dir, g.bool(), g.oneIn(6) ? 0 : pid,
                    g.bool() ? processes.get(pid).startTicks() : g.pick(0L, 999L),
                    switch (g.between(0, 3)) {
                        case 0 -> null;
                        case 1 -> Path.of("/var/lib/other/" + i);
                        default -> path;
                    }));
        }
        if (g.oneIn(3)) shimFor(500 + i, ns, id, path, socket);
    }

    private void shimFor(int pid, String ns, String id, Path bundle, Path socket) {
        String cwd = switch (g.weighted(4, 1, 1, 1)) {
            case 0 -> bundle.toString();
            case 1 -> bundle + " (deleted)";
            case 2 -> "/var/lib/other/state/" + id;
            default -> roots.stateDir() + "/../elsewhere";
        };
        String address = g.weighted(4, 1) == 0 ? CONTAINERD : OTHER_CONTAINERD;
        List<String> argv = g.bool()
                ? List.of("/usr/bin/containerd-shim-runc-v2", "-namespace", ns, "-id", id, "-address", address)
                : List.of("/opt/jrunc/bin/java", "-Xss256k", "-m", "shim.cli/jrunc.cli.Main", "-namespace", ns,
                "-address", address, "-id", id, g.oneIn(4) ? "start" : "-debug");
        String cgroup = g.bool() ? "0::/system.slice/containerd.service" : cgroupText();
        process(new ProcessInfo(pid, 1, argv, 40 + g.between(0, 9), cgroup, cwd));
        if (g.bool()) listeners.put(pid, g.oneIn(4) ? roots.socketDir().resolve("other") : socket);
        if (g.bool()) answers.put(socket, new ShimAnswer(g.bool() ? pid : g.pick(pids), g.bool(), "random"));
    }

    /** A shim process no bundle names, serving or not. */
    private void leakedShim(int pid) {
        String ns = g.pick(NAMESPACES), id = g.pick(IDS);
        Path bundle = roots.tasksDir().resolve(safe(ns, "ns")).resolve(safe(id, "id"));
        Path socket = roots.socketDir().resolve(SocketAddress.hash(CONTAINERD, ns, id));
        sockets.put(socket, g.pick(Result.values()));
        shimFor(pid, ns, id, bundle, socket);
    }

    private MountInfo mount(Path at, String fsType) {
        return new MountInfo(mountId++, 1, "0:" + mountId, "/", at.toString(), "rw", fsType, fsType, "rw");
    }

    /** A path element made of {@code name}, or {@code fallback} where a path element could not hold it. */
    private static String safe(String name, String fallback) {
        return name.isEmpty() || name.contains("/") || name.equals("..") || name.equals(".") || name.contains("\0")
                ? fallback : name;
    }
}
