package jrunc.core.runc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import jrunc.core.spi.OperatingSystem;

/**
 * runc, driven for one container exactly as go-runc v1.0.0 drives it ({@code runc.go}). Global flags always come
 * first, in go-runc's order: {@code --root <root>/<ns> --log <bundle>/log.json --log-format json [--criu <path>]
 * [--systemd-cgroup]}. Each command runs as one {@link RuncCall}: it is killed after {@link #COMMAND_LIMIT}
 * ({@link #CRIU_LIMIT} for checkpoint and restore), or before the deadline of the call that asked for it
 * ({@link #within}), and a failure carries runc's own words.
 *
 * <p>Immutable; calls block the calling thread (a virtual one parks: see {@link jrunc.core.spi.BlockingReads}).
 */
public final class Runc {
    /** go-runc's default binary, looked up in PATH. */
    public static final String DEFAULT_BINARY = "runc";
    /** runc's state root when the options name none; {@code /<namespace>} is appended. */
    public static final Path DEFAULT_ROOT = Path.of("/run/containerd/runc");
    /** Generous: runc's own hooks (createRuntime, poststart…) run inside create and start. */
    public static final Duration COMMAND_LIMIT = Duration.ofMinutes(2);
    /** criu dumps and restores every page of the container. */
    public static final Duration CRIU_LIMIT = Duration.ofMinutes(10);
    private static final System.Logger LOG = System.getLogger(Runc.class.getName());

    private final OperatingSystem os;
    private final String binary;
    private final Path root;
    private final RuncLog log;
    private final boolean systemdCgroup;
    private final String criuPath;
    private final Path tempDir;
    private final Duration limit, criuLimit;
    private final long callDeadlineNanos;

    /**
     * @param root    runc's state root, namespace included ({@code <options.root>/<ns>})
     * @param tempDir where exec's {@code runc-process*} spec files go ($XDG_RUNTIME_DIR, else the temp dir)
     */
    Runc(OperatingSystem os, String binary, Path root, Path logFile, boolean systemdCgroup, String criuPath, Path tempDir) {
        this(os, binary, root, new RuncLog(logFile), systemdCgroup, criuPath, tempDir, COMMAND_LIMIT, CRIU_LIMIT,
                Long.MAX_VALUE);
    }

    private Runc(OperatingSystem os, String binary, Path root, RuncLog log, boolean systemdCgroup, String criuPath,
                 Path tempDir, Duration limit, Duration criuLimit, long callDeadlineNanos) {
        this.os = os;
        this.binary = binary == null || binary.isEmpty() ? DEFAULT_BINARY : binary;
        this.root = root;
        this.log = log;
        this.systemdCgroup = systemdCgroup;
        this.criuPath = criuPath == null ? "" : criuPath;
        this.tempDir = tempDir;
        this.limit = limit;
        this.criuLimit = criuLimit;
        this.callDeadlineNanos = callDeadlineNanos;
    }

    /**
     * The runc of a bundle whose shim is gone, for the Stop path ({@code delete}, shim-doctor): {@code root} is runc's
     * state root with the namespace already appended.
     */
    public static Runc forBundle(OperatingSystem os, String binary, Path root, Path logFile, boolean systemdCgroup) {
        return new Runc(os, binary, root, logFile, systemdCgroup, "", null);
    }

    /** The runc of a container created with these options, as containerd's {@code NewRunc} sets it up. */
    public static Runc forContainer(OperatingSystem os, RuncOptions options, String namespace, Path bundle, Path tempDir) {
        Path base = options.root().isEmpty() ? DEFAULT_ROOT : Path.of(options.root());
        return new Runc(os, options.binaryName(), base.resolve(namespace), bundle.resolve("log.json"),
                options.systemdCgroup(), options.criuPath(), tempDir);
    }

    /** The same runc, killing any command that outlives {@code limit} (the Stop path must answer within 5 s). */
    public Runc withLimit(Duration commandLimit) {
        return new Runc(os, binary, root, log, systemdCgroup, criuPath, tempDir, commandLimit, commandLimit, callDeadlineNanos);
    }

    /**
     * The same runc for one call whose caller gives up at {@code deadlineNanos} ({@link System#nanoTime()}, or
     * {@link Long#MAX_VALUE} for none): each command is killed a little before that, so the error still reaches it.
     */
    public Runc within(long deadlineNanos) {
        return new Runc(os, binary, root, log, systemdCgroup, criuPath, tempDir, limit, criuLimit, deadlineNanos);
    }

    // --- argv, exactly as go-runc builds it -----------------------------------------------------------------

    List<String> command(String... args) {
        List<String> argv = new ArrayList<>(List.of(binary, "--root", root.toString(), "--log", log.file().toString(),
                "--log-format", "json"));
        if (!criuPath.isEmpty()) argv.addAll(List.of("--criu", criuPath));
        if (systemdCgroup) argv.add("--systemd-cgroup");
        argv.addAll(List.of(args));
        return argv;
    }

    List<String> createCommand(String id, Path bundle, boolean noPivot, boolean noNewKeyring, Optional<Path> consoleSocket) {
        List<String> args = new ArrayList<>(List.of("create", "--bundle", bundle.toString(),
                "--pid-file", bundle.resolve("init.pid").toAbsolutePath().toString()));
        consoleSocket.ifPresent(socket -> args.addAll(List.of("--console-socket", socket.toString())));
        if (noPivot) args.add("--no-pivot");
        if (noNewKeyring) args.add("--no-new-keyring");
        args.add(id);
        return command(args.toArray(String[]::new));
    }

    List<String> execCommand(String id, Path processFile, Path pidFile, Optional<Path> consoleSocket) {
        List<String> args = new ArrayList<>(List.of("exec", "--process", processFile.toString()));
        consoleSocket.ifPresent(socket -> args.addAll(List.of("--console-socket", socket.toString())));
        args.addAll(List.of("--detach", "--pid-file", pidFile.toAbsolutePath().toString(), id));
        return command(args.toArray(String[]::new));
    }

    List<String> killCommand(String id, int signal, boolean all) {
        return all ? command("kill", "--all", id, Integer.toString(signal)) : command("kill", id, Integer.toString(signal));
    }

    List<String> deleteCommand(String id, boolean force) {
        return force ? command("delete", "--force", id) : command("delete", id);
    }

    /** go-runc's {@code Checkpoint}: options, then {@code --leave-running} unless the task is to exit, then the id. */
    List<String> checkpointCommand(String id, CriuOptions options, boolean leaveRunning) {
        List<String> args = new ArrayList<>(List.of("checkpoint"));
        args.addAll(options.args());
        if (leaveRunning) args.add("--leave-running");
        args.add(id);
        return command(args.toArray(String[]::new));
    }

    /**
     * go-runc's {@code Restore} as containerd's shim calls it: detached, with a pid file, no subreaper of runc's own
     * (go-runc spells that flag with one dash), then the bundle and the id.
     */
    List<String> restoreCommand(String id, Path bundle, CriuOptions options, boolean noPivot, Optional<Path> consoleSocket) {
        List<String> args = new ArrayList<>(List.of("restore"));
        args.addAll(options.args());
        args.addAll(List.of("--detach", "--pid-file", bundle.resolve("init.pid").toAbsolutePath().toString()));
        consoleSocket.ifPresent(socket -> args.addAll(List.of("--console-socket", socket.toString())));
        if (noPivot) args.add("--no-pivot");
        args.add("-no-subreaper");
        args.addAll(List.of("--bundle", bundle.toString(), id));
        return command(args.toArray(String[]::new));
    }

    // --- operations -----------------------------------------------------------------------------------------

    /**
     * {@code runc create}; {@code stdio} maps fds 0–2 of runc (and so of the container) to our descriptors. With a
     * console socket runc makes a pty for the container instead and sends us its master.
     */
    public void create(String id, Path bundle, boolean noPivot, boolean noNewKeyring, Map<Integer, Integer> stdio,
                       Optional<Path> consoleSocket) throws RuncException {
        run("create " + id, createCommand(id, bundle, noPivot, noNewKeyring, consoleSocket), ownStdio(stdio, consoleSocket),
                null, limit);
    }

    public void start(String id) throws RuncException {
        run("start " + id, command("start", id), null, null, limit);
    }

    public void kill(String id, int signal, boolean all) throws RuncException {
        run("kill " + id, killCommand(id, signal, all), null, null, limit);
    }

    /** {@code runc delete}; "does not exist" is success: the container is gone either way (go-runc callers agree). */
    public void delete(String id, boolean force) throws RuncException {
        try {
            run("delete " + id, deleteCommand(id, force), null, null, limit);
        } catch (RuncException e) {
            if (!e.getMessage().contains("does not exist")) throw e;
        }
    }

    public void pause(String id) throws RuncException {
        run("pause " + id, command("pause", id), null, null, limit);
    }

    public void resume(String id) throws RuncException {
        run("resume " + id, command("resume", id), null, null, limit);
    }

    /** {@code runc update --resources -}: the LinuxResources JSON goes in on stdin. */
    public void update(String id, byte[] resourcesJson) throws RuncException {
        run("update " + id, command("update", "--resources", "-", id), null, resourcesJson, limit);
    }

    /** {@code runc ps --format json}: the pids in the container's cgroup, whatever its state. */
    public List<Integer> ps(String id) throws RuncException {
        byte[] out = run("ps " + id, command("ps", "--format", "json", id), null, null, limit);
        try {
            return PidList.parse(out);
        } catch (IOException e) {
            throw new RuncException("unable to parse the output of runc ps " + id + ": " + e.getMessage(), e);
        }
    }

    /** {@code runc checkpoint}: criu dumps the container into {@link CriuOptions#imagePath()}. */
    public void checkpoint(String id, CriuOptions options, boolean leaveRunning) throws RuncException {
        run("checkpoint " + id, checkpointCommand(id, options, leaveRunning), null, null, criuLimit);
    }

    /** {@code runc restore --detach}: the container comes back from an image, running; its pid goes to init.pid. */
    public void restore(String id, Path bundle, CriuOptions options, boolean noPivot, Map<Integer, Integer> stdio,
                        Optional<Path> consoleSocket) throws RuncException {
        run("restore " + id, restoreCommand(id, bundle, options, noPivot, consoleSocket), ownStdio(stdio, consoleSocket),
                null, criuLimit);
    }

    /**
     * {@code runc exec --detach}: the OCI Process JSON goes through a {@code runc-process*} temp file, removed
     * afterwards; runc writes the new process's pid to {@code pidFile}.
     */
    public void exec(String id, byte[] processJson, Path pidFile, Map<Integer, Integer> stdio, Optional<Path> consoleSocket)
            throws RuncException {
        Path processFile;
        try {
            processFile = Files.createTempFile(tempDir, "runc-process", "");
        } catch (IOException e) {
            throw new RuncException("failed to create the exec process spec in " + tempDir + ": " + e.getMessage(), e);
        }
        try {
            Files.write(processFile, processJson);
            run("exec " + id, execCommand(id, processFile, pidFile, consoleSocket), ownStdio(stdio, consoleSocket), null,
                    limit);
        } catch (IOException e) {
            throw new RuncException("failed to write the exec process spec " + processFile + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(processFile);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "leaving " + processFile + ": " + e.getMessage());
            }
        }
    }

    /**
     * The stdio of a command that makes a container process: with a terminal, runc's output is its own and is
     * quoted on failure (go-runc runs it with no IO then); without one, runc's stdio is the process's, /dev/null
     * for a stream it has none for.
     */
    private static Map<Integer, Integer> ownStdio(Map<Integer, Integer> stdio, Optional<Path> consoleSocket) {
        return consoleSocket.isPresent() ? null : stdio;
    }

    /** @param stdio the container's fds for runc's 0–2, or null for runc's output to be read and quoted */
    private byte[] run(String what, List<String> argv, Map<Integer, Integer> stdio, byte[] stdin, Duration commandLimit)
            throws RuncException {
        String name = DEFAULT_BINARY.equals(binary) ? "runc " + what : binary + " " + what;
        long started = System.nanoTime();
        try {
            return new RuncCall(os, argv, name, log).run(stdio, stdin, RuncDeadline.of(commandLimit, callDeadlineNanos));
        } finally {
            LOG.log(System.Logger.Level.DEBUG, () -> String.join(" ", argv) + " took "
                    + (System.nanoTime() - started) / 1_000_000 + " ms");
        }
    }
}
