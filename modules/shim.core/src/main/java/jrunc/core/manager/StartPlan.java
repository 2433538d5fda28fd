package jrunc.core.manager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.Signals;
import jrunc.core.spi.Spawn;
import jrunc.proto.runc.Options;

/**
 * {@code start}: containerd-shim-runc-v2's manager Start, step for step (containerd v1.6.20
 * runtime/v2/runc/manager/manager_linux.go, Start): the group's socket address, bound afresh, reused when the
 * group's shim already serves it, or replaced when a killed shim left it; the {@code address} file; the daemon
 * spawned with the listener as fd 3; the shim cgroup and the OOM score. The caller prints the address and nothing
 * else. Next to {@link StopPath}, its counterpart; neither touches the Task service (both are timed per container).
 *
 * <p>Two ways to end it: {@link #run} spawns a daemon for the listener, as Go's shim does; {@link #bind} followed
 * by {@link #adopt} is what a warm spare daemon does, which serves the listener itself and takes the place of the
 * daemon {@code run} would have spawned (its own cgroup and OOM score, set the same way).
 */
public final class StartPlan {
    private static final int OOM_SCORE_ADJ_MAX = 1000;
    /** The fd the daemon finds its listener on (containerd's shim: the first of cmd.ExtraFiles). */
    public static final int LISTENER_FD = 3;

    /**
     * What {@code start} was given.
     *
     * @param flags       the command line
     * @param bundle      the directory containerd runs start in
     * @param stdin       everything containerd wrote on start's stdin (the runc options as an Any, or nothing)
     * @param selfCommand how to run this binary again, for the daemon
     * @param parentPid   containerd's pid, whose OOM score the daemon's is set from
     * @param schedCore   {@code SCHED_CORE=1} in the environment
     */
    public record Request(ShimFlags flags, Path bundle, byte[] stdin, List<String> selfCommand, int parentPid,
                          boolean schedCore) {
        public Request {
            stdin = stdin.clone();
            selfCommand = List.copyOf(selfCommand);
        }
    }

    /**
     * The group's socket, bound or found served, with the {@code address} file written.
     *
     * @param address  what containerd is to dial
     * @param socket   its path
     * @param options  the runc options start was given
     * @param listener our listening fd on the socket, or -1 when the group's shim already serves it
     * @param shim     the handler's own settings ({@code [jrunc]} of its ConfigPath file)
     */
    public record Bound(String address, Path socket, Options options, int listener, ShimConfig shim) {
        /** A shim already serves the group: containerd opens a new connection to it for this task. */
        public boolean served() {
            return listener < 0;
        }
    }

    private final OperatingSystem os;
    private final ShimSocket sockets;

    public StartPlan(OperatingSystem os) {
        this(os, new ShimSocket(os));
    }

    StartPlan(OperatingSystem os, ShimSocket sockets) {
        this.os = os;
        this.sockets = sockets;
    }

    /**
     * Runs start. Returns the address containerd is to dial. On failure what was made is undone (the daemon
     * killed, a socket we bound removed) and the exception says which step failed.
     */
    public String run(Request r) throws IOException {
        Bound bound = bind(r);
        if (bound.served()) return bound.address();
        return spawn(r, bound);
    }

    /**
     * The second half of {@link #run}: spawns the daemon with {@code bound}'s listener, which is closed here whatever
     * happens. On failure the daemon is killed and the socket removed.
     */
    public String spawn(Request r, Bound bound) throws IOException {
        int listener = bound.listener();
        int daemon = -1;
        try {
            // the core-scheduling cookie is made for our own process group; the daemon we spawn inherits it
            if (r.schedCore()) os.createSchedCoreCookie(0);
            daemon = os.spawn(new Spawn(daemonArgv(r), null, r.bundle(), Map.of(LISTENER_FD, listener), true, true));
            os.close(listener);
            listener = -1;
            placeDaemon(r, bound, daemon);
            return bound.address();
        } catch (IOException | RuntimeException e) {
            if (listener >= 0) os.close(listener);
            if (daemon > 0) {
                try {
                    os.kill(daemon, Signals.SIGKILL);
                } catch (IOException gone) {
                    // it exited already
                }
            }
            removeQuietly(bound.socket());
            throw e;
        }
    }

    /**
     * The first half of start: the runc options read (a broken options file fails start with its own message,
     * before anything is bound), the group's address hashed, its socket bound (or found served), and the
     * {@code address} file written. When a listener comes back, the caller owns it and must either hand it to a
     * daemon or {@link #abandon} it.
     */
    public Bound bind(Request r) throws IOException {
        ShimFlags flags = r.flags();
        RuntimeOptions.Decoded decoded = runcOptions(r.stdin());
        String hash = new BundleReader(os).spec(r.bundle())
                .socketHash(flags.address(), flags.namespace(), flags.id(), decoded.shim().grouping());
        String address = sockets.address(hash);
        Path socket = SocketAddress.path(address);
        Files.createDirectories(socket.getParent());
        ShimSocket.Binding binding = sockets.bind(socket);
        int listener = binding instanceof ShimSocket.Binding.Listening l ? l.fd() : -1;
        try {
            BundleFiles.writeAddress(r.bundle(), address);
        } catch (IOException | RuntimeException e) {
            if (listener >= 0) {
                os.close(listener);
                removeQuietly(socket);
            }
            throw e;
        }
        return new Bound(address, socket, decoded.options(), listener, decoded.shim());
    }

    /**
     * The second half of start for a daemon that serves {@code bound}'s listener itself, {@code self}: what
     * {@link #run} does to the daemon it spawns (the core-scheduling cookie, the shim cgroup, containerd's OOM score
     * + 1).
     */
    public void adopt(Request r, Bound bound, int self) throws IOException {
        // the daemon is the leader of its own process group: the cookie is made for that group
        if (r.schedCore()) os.createSchedCoreCookie(0);
        placeDaemon(r, bound, self);
    }

    /**
     * What {@link #bind} returned to the {@code start} that handed {@code listener}, bound at {@code socket}, to
     * this process (a warm spare): the same address and runc options, read again from start's stdin.
     */
    public Bound handedOver(Request r, Path socket, int listener) {
        RuntimeOptions.Decoded decoded = runcOptions(r.stdin());
        return new Bound(SocketAddress.UNIX_PREFIX + socket, socket, decoded.options(), listener, decoded.shim());
    }

    /** Gives up a listener {@link #bind} returned: closed, and its socket removed. */
    public void abandon(Bound bound) {
        if (bound.served()) return;
        os.close(bound.listener());
        removeQuietly(bound.socket());
    }

    private void placeDaemon(Request r, Bound bound, int daemon) throws IOException {
        if (!bound.options().getShimCgroup().isEmpty()) os.joinCgroup(daemon, bound.options().getShimCgroup());
        os.setOomScoreAdj(daemon, daemonOomScoreAdj(os, r.parentPid()));
    }

    /**
     * A shim daemon's oom_score_adj: containerd's own score + 1, so the OOM killer takes a shim before containerd
     * (Debian: -999 → -998). Also a warm spare's, which is to become such a daemon.
     */
    public static int daemonOomScoreAdj(OperatingSystem os, int containerdPid) throws IOException {
        return Math.min(os.oomScoreAdj(containerdPid) + 1, OOM_SCORE_ADJ_MAX);
    }

    private static void removeQuietly(Path socket) {
        try {
            Files.deleteIfExists(socket);
        } catch (IOException left) {
            // best effort: delete removes a dead socket, shim-doctor finds what is left
        }
    }

    /** The daemon's argv, as Go's shim spawns its own: {@code self -namespace NS -id ID -address ADDR [-debug]}. */
    public static List<String> daemonArgv(Request r) {
        return daemonArgv(r.selfCommand(), r.flags().namespace(), r.flags().id(), r.flags().address(), r.flags().debug());
    }

    public static List<String> daemonArgv(List<String> self, String namespace, String id, String address, boolean debug) {
        List<String> argv = new ArrayList<>(self);
        argv.addAll(List.of("-namespace", namespace, "-id", id, "-address", address));
        if (debug) argv.add("-debug");
        return argv;
    }

    /**
     * The runc options on start's stdin, under any type URL containerd uses ({@link RuntimeOptions}), whether stdin
     * holds the options Any or containerd 2.3's BootstrapParams ({@link StartInput}); defaults when there are none.
     * Unknown types are left to the daemon's Create to warn about: start's output is the address.
     */
    static RuntimeOptions.Decoded runcOptions(byte[] stdin) {
        return RuntimeOptions.decode(StartInput.parse(stdin).options());
    }
}
