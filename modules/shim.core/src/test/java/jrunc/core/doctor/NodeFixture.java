package jrunc.core.doctor;

import java.nio.file.Path;
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
import jrunc.core.manager.MountInfo;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.SocketProbe.Result;

/** Builds node snapshots for tests, in containerd's default layout. */
final class NodeFixture {
    static final Path STATE = Path.of("/run/containerd");
    static final Path SOCKETS = Path.of("/run/containerd/s");
    static final Path RUNC = Path.of("/run/containerd/runc");
    static final Roots ROOTS = new Roots(STATE, SOCKETS, RUNC);
    static final String CONTAINERD = "/run/containerd/containerd.sock";
    static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    /** Old enough for any grace period. */
    static final Instant LONG_AGO = NOW.minusSeconds(86_400);
    /** The doctor's own pid, and its parent (a shell under init). */
    static final int DOCTOR = 31_000, DOCTOR_PARENT = 30_999;

    private final List<Bundle> bundles = new ArrayList<>();
    private final List<RuncState> runc = new ArrayList<>();
    private final Map<Path, Result> sockets = new HashMap<>();
    private final List<MountInfo> mounts = new ArrayList<>();
    private final Map<Integer, ProcessInfo> processes = new HashMap<>();
    private final Set<String> addresses = new HashSet<>(Set.of(CONTAINERD));
    private final Set<String> scopeAddresses = new HashSet<>();
    private final Map<Integer, Path> listeners = new HashMap<>();
    private final Map<Path, ShimAnswer> answers = new HashMap<>();
    private int mountId = 100;

    NodeFixture() {
        processes.put(1, new ProcessInfo(1, 0, List.of("/sbin/init"), 1, "0::/", null));
        processes.put(DOCTOR_PARENT, new ProcessInfo(DOCTOR_PARENT, 1, List.of("bash"), 900, "0::/user.slice", null));
        processes.put(DOCTOR, new ProcessInfo(DOCTOR, DOCTOR_PARENT, List.of("shim-doctor", "clean"), 901, "0::/user.slice", null));
    }

    static Path bundlePath(String ns, String id) {
        return STATE.resolve(NodeSnapshot.TASK_DIR).resolve(ns).resolve(id);
    }

    static Path socketOf(String ns, String key) {
        return SOCKETS.resolve(SocketAddress.hash(CONTAINERD, ns, key));
    }

    /** A bundle record with the given facts, long untouched, every file readable. */
    static Bundle bundle(String ns, String id, Path path, boolean hidden, Set<String> files, String address,
                         String initPid, String group, String cgroupsPath) {
        return new Bundle(ns, id, path, hidden, files, address, initPid, group, cgroupsPath, null, LONG_AGO, Map.of());
    }

    /** A bundle as a shim leaves it after Create: address written, init.pid written, rootfs mounted. */
    NodeFixture task(String ns, String id, int initPid, Result shim) {
        Path socket = socketOf(ns, id);
        bundles.add(bundle(ns, id, bundlePath(ns, id), false,
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

    /** runc state that records the bundle of {@code ns/id} in this state directory. */
    NodeFixture runcState(String ns, String id, int pid, long start) {
        runc.add(new RuncState(ns, id, RUNC.resolve(ns).resolve(id), true, pid, start, bundlePath(ns, id)));
        return this;
    }

    NodeFixture runcState(RuncState r) {
        runc.add(r);
        return this;
    }

    NodeFixture socket(Path path, Result probe) {
        sockets.put(path, probe);
        return this;
    }

    NodeFixture mount(Path at, String fsType) {
        mounts.add(new MountInfo(mountId++, 1, "0:" + mountId, "/", at.toString(), "rw", fsType, fsType, "rw"));
        return this;
    }

    NodeFixture process(int pid, long start, String cgroup, String cwd, String... argv) {
        processes.put(pid, new ProcessInfo(pid, 1, List.of(argv), start, cgroup, cwd));
        return this;
    }

    /** A process inside a ctr task's container: cgroup v2 path /ns/id. */
    NodeFixture containerProcess(String ns, String id, int pid, long start) {
        return process(pid, start, "0::/" + ns + "/" + id, "/", "sleep", "3600");
    }

    /** Go's shim daemon started by containerd in the bundle of ns/id (its working directory). */
    NodeFixture goShim(int pid, String ns, String id) {
        return goShim(pid, ns, id, CONTAINERD, bundlePath(ns, id).toString());
    }

    NodeFixture goShim(int pid, String ns, String id, String address, String cwd) {
        return process(pid, 5, "0::/system.slice/containerd.service", cwd, "/usr/bin/containerd-shim-runc-v2",
                "-namespace", ns, "-id", id, "-address", address);
    }

    /** The scanner saw {@code pid} listening on {@code socket} (its fds in /proc/net/unix). */
    NodeFixture listening(int pid, Path socket) {
        listeners.put(pid, socket);
        return this;
    }

    NodeFixture answer(Path socket, ShimAnswer answer) {
        answers.put(socket, answer);
        return this;
    }

    /** As if {@code --containerd-address} was given. */
    NodeFixture scopeAddress(String address) {
        scopeAddresses.add(address);
        return this;
    }

    NodeSnapshot build() {
        return new NodeSnapshot(ROOTS, NOW, DOCTOR, bundles, runc, sockets, mounts, processes, addresses,
                scopeAddresses, listeners, answers);
    }
}
