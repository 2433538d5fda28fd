package jrunc.core.runc;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import jrunc.core.spi.BlockingReads;
import jrunc.core.spi.Exit;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.Reaper;
import jrunc.core.spi.Spawn;

/**
 * runc, driven for one container exactly as go-runc v1.0.0 drives it ({@code runc.go}), through the shim's own
 * reaper (never the JDK's process API: its reaper would take the exit status from ours).
 *
 * <p>Global flags always come first, in go-runc's order: {@code --root <root>/<ns> --log <bundle>/log.json
 * --log-format json [--criu <path>] [--systemd-cgroup]}. Commands that hand the container its stdio (create, exec)
 * get the caller's descriptors as fds 0–2; every other command's stdout and stderr go into one pipe, read to EOF, so
 * that a failure can quote runc when {@code log.json} has nothing.
 *
 * <p>Calls block the calling thread (a virtual one parks: see {@link BlockingReads}); no lock is needed here.
 */
public final class Runc {
    /** go-runc's default binary, looked up in PATH. */
    static final String DEFAULT_BINARY = "runc";
    private static final int SIGKILL = 9;
    private static final System.Logger LOG = System.getLogger(Runc.class.getName());
    static final Path DEFAULT_ROOT = Path.of("/run/containerd/runc");

    private final OperatingSystem os;
    private final String binary;
    private final Path root;
    private final RuncLog log;
    private final boolean systemdCgroup;
    private final String criuPath;
    private final Path tempDir;
    /** Commands still running after this long are killed; null = wait as long as runc takes (go-runc's way). */
    private final Duration deadline;

    /**
     * @param root    runc's state root, namespace included ({@code <options.root>/<ns>})
     * @param tempDir where exec's {@code runc-process*} spec files go ($XDG_RUNTIME_DIR, else the temp dir)
     */
    Runc(OperatingSystem os, String binary, Path root, Path logFile, boolean systemdCgroup, String criuPath, Path tempDir) {
        this(os, binary, root, logFile, systemdCgroup, criuPath, tempDir, null);
    }

    private Runc(OperatingSystem os, String binary, Path root, Path logFile, boolean systemdCgroup, String criuPath,
                 Path tempDir, Duration deadline) {
        this.os = os;
        this.binary = binary == null || binary.isEmpty() ? DEFAULT_BINARY : binary;
        this.root = root;
        this.log = new RuncLog(logFile);
        this.systemdCgroup = systemdCgroup;
        this.criuPath = criuPath == null ? "" : criuPath;
        this.tempDir = tempDir;
        this.deadline = deadline;
    }

    /**
     * The runc of a bundle whose shim is gone, for the Stop path ({@code delete}, shim-doctor): {@code root} is runc's
     * state root with the namespace already appended.
     */
    public static Runc forBundle(OperatingSystem os, String binary, Path root, Path logFile, boolean systemdCgroup) {
        return new Runc(os, binary, root, logFile, systemdCgroup, "", null, null);
    }

    /** The same runc, killing any command that outlives {@code limit} (the Stop path must answer within 5 s). */
    public Runc withDeadline(Duration limit) {
        return new Runc(os, binary, root, log.file(), systemdCgroup, criuPath, tempDir, limit);
    }

    /** The runc of a container created with these options, as containerd's {@code NewRunc} sets it up. */
    public static Runc forContainer(OperatingSystem os, RuncOptions options, String namespace, Path bundle, Path tempDir) {
        Path base = options.root().isEmpty() ? DEFAULT_ROOT : Path.of(options.root());
        return new Runc(os, options.binaryName(), base.resolve(namespace), bundle.resolve("log.json"),
                options.systemdCgroup(), options.criuPath(), tempDir);
    }

    // --- argv, exactly as go-runc builds it -----------------------------------------------------------------

    List<String> command(String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(binary);
        argv.add("--root");
        argv.add(root.toString());
        argv.add("--log");
        argv.add(log.file().toString());
        argv.add("--log-format");
        argv.add("json");
        if (!criuPath.isEmpty()) {
            argv.add("--criu");
            argv.add(criuPath);
        }
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

    // --- operations -----------------------------------------------------------------------------------------

    /**
     * {@code runc create}; {@code stdio} maps fds 0–2 of runc (and so of the container) to our descriptors. With a
     * console socket runc makes a pty for the container instead and sends us its master.
     */
    public void create(String id, Path bundle, boolean noPivot, boolean noNewKeyring, Map<Integer, Integer> stdio,
                Optional<Path> consoleSocket) throws RuncException {
        runWithStdio(createCommand(id, bundle, noPivot, noNewKeyring, consoleSocket), stdio);
    }

    public void start(String id) throws RuncException {
        run(command("start", id), null);
    }

    public void kill(String id, int signal, boolean all) throws RuncException {
        run(killCommand(id, signal, all), null);
    }

    /** {@code runc delete}; "does not exist" is success: the container is gone either way (go-runc callers agree). */
    public void delete(String id, boolean force) throws RuncException {
        try {
            run(deleteCommand(id, force), null);
        } catch (RuncException e) {
            if (!e.getMessage().contains("does not exist")) throw e;
        }
    }

    public void pause(String id) throws RuncException {
        run(command("pause", id), null);
    }

    public void resume(String id) throws RuncException {
        run(command("resume", id), null);
    }

    /** {@code runc update --resources -}: the LinuxResources JSON goes in on stdin. */
    public void update(String id, byte[] resourcesJson) throws RuncException {
        run(command("update", "--resources", "-", id), resourcesJson);
    }

    /** {@code runc ps --format json}: the container's pids. */
    public List<Integer> ps(String id) throws RuncException {
        byte[] out = run(command("ps", "--format", "json", id), null);
        try {
            return PidList.parse(out);
        } catch (IOException e) {
            throw new RuncException("unable to parse runc ps output: " + e.getMessage(), e);
        }
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
            Files.write(processFile, processJson);
        } catch (IOException e) {
            throw new RuncException("failed to write exec process spec: " + e.getMessage(), e);
        }
        try {
            runWithStdio(execCommand(id, processFile, pidFile, consoleSocket), stdio);
        } finally {
            try {
                Files.deleteIfExists(processFile);
            } catch (IOException ignored) {
                // a leftover temp file is harmless
            }
        }
    }

    // --- running --------------------------------------------------------------------------------------------

    /** A command whose stdio belongs to the container: no output of ours to quote (go-runc's runOrError with IO set). */
    private void runWithStdio(List<String> argv, Map<Integer, Integer> stdio) throws RuncException {
        long logStart = log.size();
        Reaper.Child child = startChild(spawnOf(argv, stdio));
        armDeadline(child, argv);
        Exit exit = await(child, argv);
        if (exit.status() != 0) {
            throw failure(logStart, binary + " did not terminate successfully: exit status " + exit.status());
        }
    }

    /** A command whose combined stdout+stderr we read to EOF, with optional stdin bytes. Returns the output. */
    private byte[] run(List<String> argv, byte[] stdin) throws RuncException {
        long logStart = log.size();
        int[] out = pipe();
        int[] in = stdin == null ? null : pipe();
        Map<Integer, Integer> fds = new HashMap<>();
        fds.put(1, out[1]);
        fds.put(2, out[1]);
        if (in != null) fds.put(0, in[0]);
        Reaper.Child child;
        try {
            child = startChild(spawnOf(argv, fds));
        } catch (RuncException e) {
            os.close(out[0]);
            if (in != null) os.close(in[1]);
            throw e;
        } finally {
            // the child has its copies now; ours would keep the pipes open forever
            os.close(out[1]);
            if (in != null) os.close(in[0]);
        }
        armDeadline(child, argv);
        if (in != null) feed(in[1], stdin);
        byte[] output;
        try {
            output = BlockingReads.readAll("runc", os.inputStream(out[0]));
        } catch (IOException e) {
            output = new byte[0];
        }
        Exit exit = await(child, argv);
        if (exit.status() != 0) {
            String text = new String(output, java.nio.charset.StandardCharsets.UTF_8).strip();
            throw failure(logStart, "exit status " + exit.status() + (text.isEmpty() ? "" : ": " + text));
        }
        return output;
    }

    /** runc reads stdin before it does anything else; if it died first the write fails with EPIPE, which is fine. */
    private void feed(int fd, byte[] bytes) {
        try (OutputStream writer = os.outputStream(fd)) {
            writer.write(bytes);
        } catch (IOException ignored) {
            // runc's own error says what went wrong
        }
    }

    private RuncException failure(long logStart, String fallback) {
        String logged = log.lastError(logStart);
        return new RuncException(logged.isEmpty() ? fallback : logged);
    }

    private Spawn spawnOf(List<String> argv, Map<Integer, Integer> fds) {
        Spawn spawn = Spawn.of(argv).withFds(fds);
        // go-runc drops NOTIFY_SOCKET: runc would otherwise notify systemd on containerd's behalf
        if (System.getenv("NOTIFY_SOCKET") != null) {
            Map<String, String> env = new HashMap<>(System.getenv());
            env.remove("NOTIFY_SOCKET");
            spawn = spawn.withEnv(env);
        }
        return spawn;
    }

    private Reaper.Child startChild(Spawn spawn) throws RuncException {
        try {
            return os.reaper().start(spawn);
        } catch (IOException e) {
            throw new RuncException("exec: " + binary + ": " + e.getMessage(), e);
        }
    }

    private int[] pipe() throws RuncException {
        try {
            return os.pipe();
        } catch (IOException e) {
            throw new RuncException("failed to create pipe for runc: " + e.getMessage(), e);
        }
    }

    /**
     * Kills the command if it is still running when the deadline passes; its pipe then reaches EOF and its exit
     * (128 + SIGKILL) comes through the reaper as usual, so the caller's reads and waits end by themselves.
     */
    private void armDeadline(Reaper.Child child, List<String> argv) {
        if (deadline == null) return;
        CompletableFuture.delayedExecutor(deadline.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
            if (child.exit().isDone()) return;
            try {
                os.kill(child.pid(), SIGKILL);
                LOG.log(System.Logger.Level.WARNING, "{0} did not finish within {1} ms: killed it",
                        String.join(" ", argv), String.valueOf(deadline.toMillis()));
            } catch (IOException ignored) {
                // it exited meanwhile
            }
        });
    }

    private static Exit await(Reaper.Child child, List<String> argv) throws RuncException {
        try {
            return child.exit().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuncException("interrupted while waiting for " + argv.getFirst(), e);
        } catch (ExecutionException e) {
            throw new RuncException("wait for " + argv.getFirst() + ": " + e.getCause(), e.getCause());
        }
    }
}
