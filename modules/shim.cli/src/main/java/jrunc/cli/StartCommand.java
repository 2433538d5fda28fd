package jrunc.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jrunc.core.manager.BundleFiles;
import jrunc.core.manager.BundleReader;
import jrunc.core.manager.RuntimeOptions;
import jrunc.core.manager.ShimFlags;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.SocketProbe;
import jrunc.core.manager.StartInput;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.Spawn;
import jrunc.proto.runc.Options;

/**
 * {@code start}: containerd-shim-runc-v2's manager Start, step for step (containerd v1.6.20
 * runtime/v2/runc/manager/manager_linux.go, Start). The combined stdout+stderr
 * of this process is what containerd takes as the address, so nothing but the address may be printed on success.
 */
final class StartCommand {
    private static final int OOM_SCORE_ADJ_MAX = 1000;

    private final ShimFlags flags;
    /** The bundle: containerd runs start in it. */
    private final Path bundle;

    StartCommand(ShimFlags flags) {
        this(flags, Path.of("").toAbsolutePath());
    }

    StartCommand(ShimFlags flags, Path bundle) {
        this.flags = flags;
        this.bundle = bundle;
    }

    int run(PrintStream stdout) {
        OperatingSystem os = OperatingSystem.load();
        Path socket = null;
        int listener = -1;
        int daemon = -1;
        boolean bound = false;
        try {
            StartInput input = readInput();
            // Read before anything is bound or spawned: a broken options file fails start with its own message.
            // Unknown option types are left to the daemon's Create to warn about: start's output is the address.
            Options options = RuntimeOptions.decode(input.options()).options();
            String group = new BundleReader(os).spec(bundle).groupKey(flags.id());
            String address = SocketAddress.of(flags.address(), flags.namespace(), group);
            socket = SocketAddress.path(address);
            Files.createDirectories(socket.getParent());
            try {
                listener = os.listenUnix(socket);
                bound = true;
            } catch (ErrnoException e) {
                if (e.errno() != ErrnoException.EADDRINUSE) throw e;
                // An unclear answer (no answer in time, a full backlog) counts as served, as it does for shim-doctor:
                // a socket a live shim may still be serving is never replaced.
                SocketProbe.Result probe = new SocketProbe(os, SocketProbe.DEFAULT_TIMEOUT)
                        .probeUntilSettled(socket, SocketProbe.SETTLE);
                if (probe.mayBeServed()) {
                    // A shim already serves this group: containerd opens a new connection to it for this task.
                    BundleFiles.writeAddress(bundle, address);
                    stdout.writeBytes(input.reply(address));
                    return 0;
                }
                if (probe == SocketProbe.Result.NOT_A_SOCKET) {
                    throw new IOException(socket + " exists and is not a socket: not replacing it");
                }
                // A socket file nobody accepts on: left by a shim that was killed. Replace it.
                Files.deleteIfExists(socket);
                listener = os.listenUnix(socket);
                bound = true;
            }
            BundleFiles.writeAddress(bundle, address);
            if ("1".equals(System.getenv("SCHED_CORE"))) {
                // The cookie is made for our own process group; the daemon we spawn inherits it.
                os.createSchedCoreCookie(0);
            }
            daemon = os.spawn(new Spawn(daemonArgv(address), null, bundle, Map.of(3, listener), true, true));
            os.close(listener);
            listener = -1;
            if (!options.getShimCgroup().isEmpty()) {
                os.joinCgroup(daemon, options.getShimCgroup());
            }
            adjustOomScore(os, daemon);
            stdout.writeBytes(input.reply(address));
            return 0;
        } catch (Exception e) {
            if (listener >= 0) os.close(listener);
            if (daemon > 0) {
                try {
                    os.kill(daemon, 9);
                } catch (IOException ignored) {
                    // already gone
                }
            }
            if (bound) {
                try {
                    Files.deleteIfExists(socket);
                } catch (IOException ignored) {
                    // best effort: shim-doctor finds what is left
                }
            }
            System.err.println("containerd-shim-jrunc-v2 start: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        }
    }

    private List<String> daemonArgv(String address) {
        List<String> argv = new ArrayList<>(selfCommand());
        argv.addAll(List.of("-namespace", flags.namespace(), "-id", flags.id(), "-address", flags.address()));
        if (flags.debug()) argv.add("-debug");
        return argv;
    }

    /**
     * How to run this binary again. The launcher script names itself in {@code jrunc.shim.binary}; without it (tests
     * running the module directly) re-run the same java command line.
     */
    static List<String> selfCommand() {
        String binary = System.getProperty("jrunc.shim.binary");
        if (binary != null && !binary.isEmpty()) return List.of(binary);
        ProcessHandle.Info info = ProcessHandle.current().info();
        List<String> cmd = new ArrayList<>();
        cmd.add(info.command().orElseThrow(() -> new IllegalStateException("cannot find own executable")));
        String[] args = info.arguments().orElse(new String[0]);
        for (String a : args) {
            if (a.equals("start") || a.startsWith("-namespace") || a.equals("-v")) break;
            cmd.add(a);
        }
        return cmd;
    }

    /**
     * stdin carries the runtime options Any, containerd 2.3's BootstrapParams, or nothing ({@link StartInput}). Not
     * read from a terminal (a person typing).
     */
    private static StartInput readInput() throws IOException {
        java.io.Console console = System.console();
        if (console != null && console.isTerminal()) return StartInput.parse(new byte[0]);
        return StartInput.parse(System.in.readNBytes(StartInput.MAX_BYTES));
    }

    /** containerd's own score + 1, so the OOM killer takes a shim before containerd (Debian: -999 → -998). */
    private static void adjustOomScore(OperatingSystem os, int daemon) throws IOException {
        int parent = (int) (long) ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(1L);
        int score = Math.min(os.oomScoreAdj(parent) + 1, OOM_SCORE_ADJ_MAX);
        os.setOomScoreAdj(daemon, score);
    }
}
