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
        ShimFlags flags = r.flags();
        // read before anything is bound or spawned: a broken options file fails start with its own message
        Options options = runcOptions(r.stdin());
        String group = new BundleReader(os).spec(r.bundle()).groupKey(flags.id());
        String address = sockets.address(SocketAddress.hash(flags.address(), flags.namespace(), group));
        Path socket = SocketAddress.path(address);
        Files.createDirectories(socket.getParent());
        ShimSocket.Binding binding = sockets.bind(socket);
        if (binding instanceof ShimSocket.Binding.Served) {
            // a shim already serves this group: containerd opens a new connection to it for this task
            BundleFiles.writeAddress(r.bundle(), address);
            return address;
        }
        int listener = ((ShimSocket.Binding.Listening) binding).fd();
        int daemon = -1;
        try {
            BundleFiles.writeAddress(r.bundle(), address);
            // the core-scheduling cookie is made for our own process group; the daemon we spawn inherits it
            if (r.schedCore()) os.createSchedCoreCookie(0);
            daemon = os.spawn(new Spawn(daemonArgv(r), null, r.bundle(), Map.of(LISTENER_FD, listener), true, true));
            os.close(listener);
            listener = -1;
            if (!options.getShimCgroup().isEmpty()) os.joinCgroup(daemon, options.getShimCgroup());
            // containerd's own score + 1, so the OOM killer takes a shim before containerd (Debian: -999 → -998)
            os.setOomScoreAdj(daemon, Math.min(os.oomScoreAdj(r.parentPid()) + 1, OOM_SCORE_ADJ_MAX));
            return address;
        } catch (IOException | RuntimeException e) {
            if (listener >= 0) os.close(listener);
            if (daemon > 0) {
                try {
                    os.kill(daemon, Signals.SIGKILL);
                } catch (IOException gone) {
                    // it exited already
                }
            }
            try {
                Files.deleteIfExists(socket);
            } catch (IOException left) {
                // best effort: delete removes a dead socket, shim-doctor finds what is left
            }
            throw e;
        }
    }

    private static List<String> daemonArgv(Request r) {
        List<String> argv = new ArrayList<>(r.selfCommand());
        ShimFlags f = r.flags();
        argv.addAll(List.of("-namespace", f.namespace(), "-id", f.id(), "-address", f.address()));
        if (f.debug()) argv.add("-debug");
        return argv;
    }

    /**
     * The runc options on start's stdin, under any type URL containerd uses ({@link RuntimeOptions}), whether stdin
     * holds the options Any or containerd 2.3's BootstrapParams ({@link StartInput}); defaults when there are none.
     * Unknown types are left to the daemon's Create to warn about: start's output is the address.
     */
    static Options runcOptions(byte[] stdin) {
        return RuntimeOptions.decode(StartInput.parse(stdin).options()).options();
    }
}
