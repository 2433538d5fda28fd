package jrunc.core.doctor;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jrunc.core.manager.MountInfo;

/**
 * Everything shim-doctor knows about a node, read once and then judged without further I/O. {@code shim.linux}'s
 * {@code NodeScanner} builds it from the real node; tests build it from fixtures.
 *
 * @param stateDir             containerd's {@code state} directory (bundles live under
 *                             {@code <stateDir>/io.containerd.runtime.v2.task/<ns>/<id>})
 * @param socketDir            where shims put their sockets (containerd hard-codes {@code /run/containerd/s})
 * @param runcRoot             runc's root without the namespace ({@code /run/containerd/runc})
 * @param bundles              every bundle directory found, hidden {@code .<id>} ones included
 * @param runcStates           every {@code <runcRoot>/<ns>/<id>} directory found
 * @param sockets              the probe result of each socket that was tried: socket-dir entries and bundle addresses
 * @param mounts               mountinfo entries (at least those under {@code stateDir})
 * @param processes            pid → what /proc says about it
 * @param containerdAddresses  containerd {@code -address} values seen on this node (shim argv, defaults): the
 *                             input of the socket address hash
 * @param shimListeners        shim pid → the Unix socket it listens on (its fds matched against /proc/net/unix):
 *                             how a grouped shim, whose socket is keyed by a pod id, is tied to its socket
 */
public record NodeSnapshot(Path stateDir, Path socketDir, Path runcRoot, List<Bundle> bundles,
                           List<RuncState> runcStates, Map<Path, Probe> sockets, List<MountInfo> mounts,
                           Map<Integer, ProcessInfo> processes, Set<String> containerdAddresses,
                           Map<Integer, Path> shimListeners) {

    /** containerd's runtime v2 task directory under {@code state}. */
    public static final String TASK_DIR = "io.containerd.runtime.v2.task";

    public NodeSnapshot {
        bundles = List.copyOf(bundles);
        runcStates = List.copyOf(runcStates);
        sockets = Map.copyOf(sockets);
        mounts = List.copyOf(mounts);
        processes = Map.copyOf(processes);
        containerdAddresses = Set.copyOf(containerdAddresses);
        shimListeners = Map.copyOf(shimListeners);
    }

    /** What a connect to a Unix socket said. */
    public enum Probe {
        /** A server accepted (or its backlog is full, or it did not answer within the timeout: someone is there). */
        ACCEPTING,
        /** ECONNREFUSED: the file exists and nobody listens on it. */
        REFUSED,
        /** ENOENT: no such file. */
        MISSING;

        public boolean alive() {
            return this == ACCEPTING;
        }
    }

    /**
     * One bundle directory (containerd v1.6.20 runtime/v2/bundle.go).
     *
     * @param hidden      the directory is {@code .<id>}: containerd renamed it to remove it and stopped half-way
     * @param files       names of the entries in the directory
     * @param address     content of {@code address} (raw), null when missing
     * @param initPid     content of {@code init.pid} (raw), null when missing
     * @param group       the grouping annotation of {@code config.json}, null when none or not read
     * @param cgroupsPath {@code linux.cgroupsPath} of {@code config.json}, null when none or not read
     */
    public record Bundle(String namespace, String id, Path path, boolean hidden, Set<String> files, String address,
                         String initPid, String group, String cgroupsPath) {
        public Bundle {
            files = Set.copyOf(files);
        }

        public Path rootfs() {
            return path.resolve("rootfs");
        }

        /** The key the socket address hash is taken over (containerd v1.6.20
         * runtime/v2/runc/manager/manager_linux.go, readSpec and groupLabels): the group annotation, else the id. */
        public String groupKey() {
            return group == null || group.isEmpty() ? id : group;
        }
    }

    /**
     * runc's state directory of one container.
     *
     * @param hasStateJson {@code state.json} was there and readable
     * @param initPid      {@code init_process_pid}, 0 when unknown
     * @param initStart    {@code init_process_start} (clock ticks since boot, as field 22 of /proc/pid/stat), 0 when
     * unknown
     */
    public record RuncState(String namespace, String id, Path dir, boolean hasStateJson, int initPid, long initStart) {}

    /**
     * A process as /proc shows it.
     *
     * @param startTicks field 22 of /proc/pid/stat: start time in clock ticks after boot (with the pid, an identity)
     * @param cgroup     text of /proc/pid/cgroup, null when unreadable
     * @param root       target of /proc/pid/root, null when unreadable
     */
    public record ProcessInfo(int pid, int ppid, List<String> argv, long startTicks, String cgroup, String root) {
        public ProcessInfo {
            argv = List.copyOf(argv);
        }
    }
}
