package jrunc.core.doctor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.doctor.NodeSnapshot.Probe;
import jrunc.core.doctor.NodeSnapshot.ProcessInfo;
import jrunc.core.doctor.NodeSnapshot.RuncState;
import jrunc.core.manager.MountInfo;
import jrunc.core.manager.SocketAddress;

/** Builds node snapshots for tests, in containerd's default layout. */
final class NodeFixture {
    static final Path STATE = Path.of("/run/containerd");
    static final Path SOCKETS = Path.of("/run/containerd/s");
    static final Path RUNC = Path.of("/run/containerd/runc");
    static final String CONTAINERD = "/run/containerd/containerd.sock";

    private final List<Bundle> bundles = new ArrayList<>();
    private final List<RuncState> runc = new ArrayList<>();
    private final Map<Path, Probe> sockets = new HashMap<>();
    private final List<MountInfo> mounts = new ArrayList<>();
    private final Map<Integer, ProcessInfo> processes = new HashMap<>();
    private final Set<String> addresses = new HashSet<>(Set.of(CONTAINERD));
    private final Map<Integer, Path> listeners = new HashMap<>();
    private int mountId = 100;

    static Path bundlePath(String ns, String id) {
        return STATE.resolve(NodeSnapshot.TASK_DIR).resolve(ns).resolve(id);
    }

    static Path socketOf(String ns, String key) {
        return SOCKETS.resolve(SocketAddress.hash(CONTAINERD, ns, key));
    }

    /** A bundle as a shim leaves it after Create: address written, init.pid written, rootfs mounted. */
    NodeFixture task(String ns, String id, int initPid, Probe shim) {
        Path socket = socketOf(ns, id);
        bundles.add(new Bundle(ns, id, bundlePath(ns, id), false,
                Set.of("address", "config.json", "init.pid", "rootfs", "runtime", "options.json", "log", "work"),
                SocketAddress.UNIX_PREFIX + socket, Integer.toString(initPid), null, "/" + ns + "/" + id));
        sockets.put(socket, shim);
        mount(bundlePath(ns, id).resolve("rootfs"), "overlay");
        return this;
    }

    NodeFixture bundle(Bundle b) {
        bundles.add(b);
        return this;
    }

    NodeFixture runcState(String ns, String id, int pid, long start) {
        runc.add(new RuncState(ns, id, RUNC.resolve(ns).resolve(id), true, pid, start));
        return this;
    }

    NodeFixture socket(Path path, Probe probe) {
        sockets.put(path, probe);
        return this;
    }

    NodeFixture mount(Path at, String fsType) {
        mounts.add(new MountInfo(mountId++, 1, "0:" + mountId, "/", at.toString(), "rw", fsType, fsType, "rw"));
        return this;
    }

    NodeFixture process(int pid, long start, String cgroup, String root, String... argv) {
        processes.put(pid, new ProcessInfo(pid, 1, List.of(argv), start, cgroup, root));
        return this;
    }

    /** A process inside a ctr task's container: cgroup v2 path /ns/id, root the bundle's rootfs. */
    NodeFixture containerProcess(String ns, String id, int pid, long start) {
        return process(pid, start, "0::/" + ns + "/" + id, bundlePath(ns, id).resolve("rootfs").toString(), "sleep", "3600");
    }

    NodeFixture goShim(int pid, String ns, String id) {
        return process(pid, 5, "0::/system.slice/containerd.service", "/", "/usr/bin/containerd-shim-runc-v2",
                "-namespace", ns, "-id", id, "-address", CONTAINERD);
    }

    /** The scanner saw {@code pid} listening on {@code socket} (its fds in /proc/net/unix). */
    NodeFixture listening(int pid, Path socket) {
        listeners.put(pid, socket);
        return this;
    }

    NodeSnapshot build() {
        return new NodeSnapshot(STATE, SOCKETS, RUNC, bundles, runc, sockets, mounts, processes, addresses, listeners);
    }
}
