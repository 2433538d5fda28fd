package jrunc.core.doctor;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jrunc.core.manager.MountInfo;
import jrunc.core.manager.SocketProbe.Result;

/**
 * Everything shim-doctor knows about a node, read once and then judged without further I/O. shim-doctor's
 * {@code NodeScanner} builds it from the real node; tests build it from fixtures and at random.
 *
 * @param roots               the canonical directories judged
 * @param takenAt             when the scan ran (bundle ages are measured against it)
 * @param doctorPid           the doctor's own pid as /proc shows it; it and its ancestors are never signalled
 * @param bundles             every bundle directory found, hidden {@code .<id>} ones included
 * @param runcStates          every {@code <runcRoot>/<ns>/<id>} directory found
 * @param sockets             the probe of each socket tried: socket-dir entries and bundle addresses
 * @param mounts              mountinfo entries (at least those under {@code stateDir})
 * @param processes           pid → what /proc says about it
 * @param containerdAddresses containerd {@code -address} values to hash with (given, default, in-scope shims' argv)
 * @param scopeAddresses      the {@code --containerd-address} values the user gave: a shim whose {@code -address}
 *                            is none of them is another containerd's; empty when none was given
 * @param shimListeners       shim pid → the Unix socket it listens on (its fds matched against /proc/net/unix)
 * @param shimAnswers         socket → what its shim said, read-only over ttrpc, about the bundles that name it
 *                            (only asked where {@link Diagnosis#questions} says so)
 */
public record NodeSnapshot(Roots roots, Instant takenAt, int doctorPid, List<Bundle> bundles,
                           List<RuncState> runcStates, Map<Path, Result> sockets, List<MountInfo> mounts,
                           Map<Integer, ProcessInfo> processes, Set<String> containerdAddresses,
                           Set<String> scopeAddresses, Map<Integer, Path> shimListeners,
                           Map<Path, ShimAnswer> shimAnswers) {

    /** containerd's runtime v2 task directory under {@code state}. */
    public static final String TASK_DIR = "io.containerd.runtime.v2.task";

    public NodeSnapshot {
        bundles = List.copyOf(bundles);
        runcStates = List.copyOf(runcStates);
        sockets = Map.copyOf(sockets);
        mounts = List.copyOf(mounts);
        processes = Map.copyOf(processes);
        containerdAddresses = Set.copyOf(containerdAddresses);
        scopeAddresses = Set.copyOf(scopeAddresses);
        shimListeners = Map.copyOf(shimListeners);
        shimAnswers = Map.copyOf(shimAnswers);
    }

    public NodeSnapshot withShimAnswers(Map<Path, ShimAnswer> answers) {
        return new NodeSnapshot(roots, takenAt, doctorPid, bundles, runcStates, sockets, mounts, processes,
                containerdAddresses, scopeAddresses, shimListeners, answers);
    }

    /**
     * One bundle directory (containerd v1.6.20 runtime/v2/bundle.go), read with the shared {@code BundleReader}.
     *
     * @param hidden      the directory is {@code .<id>}: containerd renamed it to remove it and stopped half-way
     * @param files       names of the entries in the directory
     * @param address     content of {@code address} (raw), null when missing or unreadable
     * @param initPid     content of {@code init.pid} (raw), null when missing or unreadable
     * @param groupKey    the key the socket hash is taken over (the shim's own rule), null when config.json is
     *                    missing or unreadable
     * @param cgroupsPath {@code linux.cgroupsPath} of {@code config.json}, null when none or not read
     * @param runtime     why the {@code runtime} file's binary would not be run, null when it would (or was not read)
     * @param modified    the newest modification time of the directory and its entries
     * @param unreadable  files that could not be read safely: name → why (a FIFO, a link, too big…)
     */
    public record Bundle(String namespace, String id, Path path, boolean hidden, Set<String> files, String address,
                         String initPid, String groupKey, String cgroupsPath, String runtime, Instant modified,
                         Map<String, String> unreadable) {
        public Bundle {
            files = Set.copyOf(files);
            unreadable = Map.copyOf(unreadable);
        }

        public Path rootfs() {
            return path.resolve("rootfs");
        }

        /** The key the socket hash is taken over; the id when the spec could not tell. */
        public String hashKey() {
            return groupKey == null ? id : groupKey;
        }
    }

    /**
     * runc's state directory of one container.
     *
     * @param hasStateJson {@code state.json} was there and readable
     * @param initPid      {@code init_process_pid}, 0 when unknown
     * @param initStart    {@code init_process_start} (clock ticks since boot, as field 22 of /proc/pid/stat), 0 when
     *                     unknown
     * @param bundle       the bundle runc recorded (its {@code bundle=} label), null when unknown
     */
    public record RuncState(String namespace, String id, Path dir, boolean hasStateJson, int initPid, long initStart,
                            Path bundle) {}

    /**
     * A process as /proc shows it.
     *
     * @param startTicks field 22 of /proc/pid/stat: start time in clock ticks after boot (with the pid, an identity)
     * @param cgroup     text of /proc/pid/cgroup, null when unreadable
     * @param cwd        target of /proc/pid/cwd (read for shim daemons only), null when not read
     */
    public record ProcessInfo(int pid, int ppid, List<String> argv, long startTicks, String cgroup, String cwd) {
        public ProcessInfo {
            argv = List.copyOf(argv);
        }
    }

    /**
     * What a live shim said over ttrpc ({@code Connect}, {@code State}) about the bundles whose {@code address}
     * names its socket.
     *
     * @param shimPid   the pid {@code Connect} reported, 0 when it did not answer
     * @param knowsNone {@code State} answered NOT_FOUND for every one of them
     * @param detail    one line: what was asked and answered
     */
    public record ShimAnswer(int shimPid, boolean knowsNone, String detail) {}
}
