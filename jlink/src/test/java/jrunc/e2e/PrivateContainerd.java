package jrunc.e2e;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jrunc.core.manager.SpareFaults;

/**
 * A containerd of our own, started from the {@link ContainerdRelease} of this test run (Debian bookworm's
 * {@code /usr/bin/containerd} by default) with a config that keeps its root, state and sockets in a temp directory
 * (see {@link ContainerdConfig}).
 *
 * <p>Its {@code PATH} starts with a {@code bin} directory of its own, holding {@code containerd-shim-jrunc-v2}
 * (the image's launcher, for runtimes named {@code io.containerd.jrunc.v2}), then the release's {@code usr/bin},
 * so {@code io.containerd.runc.v2} is that release's own Go shim.
 *
 * <p>The tests drive it with {@code ctr} exactly as a user would. It can be crashed ({@link #kill9()}) and
 * started again on the same directories ({@link #restart()}), which is how the crash tests give containerd and
 * shim-doctor real leftovers. {@link #close()} undoes everything it made, and only that.
 */
public final class PrivateContainerd implements AutoCloseable {


    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration CTR_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private final ContainerdConfig config;
    private final ContainerdRelease release;
    private Process daemon;

    private PrivateContainerd(ContainerdConfig config, ContainerdRelease release) {
        this.config = config;
        this.release = release;
    }

    /** Makes a fresh temp directory, writes the config and starts containerd, returning once it answers. */
    public static PrivateContainerd start() {
        return start(ContainerdRelease.current(), "");
    }

    /**
     * As {@link #start()}, on a given release, with {@code plugins} (TOML tables for the config's schema, see
     * {@link ContainerdConfig#schema(ContainerdRelease)}) appended; CRI stays enabled when they configure it.
     */
    public static PrivateContainerd start(ContainerdRelease release, String plugins) {
        Path dir;
        try {
            // Short base path on purpose: Unix socket paths are limited to about 108 bytes.
            dir = Files.createTempDirectory(Path.of("/tmp"), "jrunc-ctd-");
            ContainerdConfig config = new ContainerdConfig(dir, ContainerdConfig.schema(release), plugins);
            Files.writeString(config.file(), config.toml());
            Files.createDirectories(config.bin());
            Files.createSymbolicLink(config.bin().resolve(Shim.JRUNC.binary().getFileName()), Shim.JRUNC.binary());
            PrivateContainerd containerd = new PrivateContainerd(config, release);
            containerd.launch();
            return containerd;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a private containerd", e);
        }
    }

    public ContainerdRelease release() {
        return release;
    }

    public Path dir() {
        return config.dir();
    }

    public Path rootDir() {
        return config.root();
    }

    /**
     * The directory at the head of containerd's (and so its shims') {@code PATH}: a {@code runc} put here is the
     * one the shims run.
     */
    public Path bin() {
        return config.bin();
    }

    public Path stateDir() {
        return config.state();
    }

    /** The bundle directory of a task: {@code <state>/io.containerd.runtime.v2.task/<namespace>/<id>}. */
    public Path bundle(String namespace, String id) {
        return config.bundles().resolve(namespace).resolve(id);
    }

    /** The grpc socket path, as given to {@code ctr --address} and passed on to every shim as {@code -address}. */
    public String address() {
        return config.grpcAddress().toString();
    }

    public Path logFile() {
        return config.log();
    }

    /** The file the shims of this containerd read their spare hand-off fault step from ({@link SpareFaults}). */
    public Path spareFaultFile() {
        return config.dir().resolve("spare-fault");
    }

    /** Arms a spare hand-off fault for the next start ({@code null}: disarms it). */
    public void armSpareFault(SpareFaults.Step step) {
        try {
            if (step == null) {
                Files.deleteIfExists(spareFaultFile());
            } else {
                Files.writeString(spareFaultFile(), step.fileText());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** containerd's pid; it changes with {@link #restart()}. */
    public long pid() {
        requireRunning();
        return daemon.pid();
    }

    public boolean isRunning() {
        return daemon != null && daemon.isAlive();
    }

    /** Runs {@code ctr --address <ours> args...} with the default timeout. */
    public CtrResult ctr(String... args) {
        return ctr(CTR_TIMEOUT, args);
    }

    public CtrResult ctr(Duration timeout, String... args) {
        return Commands.run(ctrCommand(args), timeout);
    }

    /** Starts {@code ctr --address <ours> args...} in the background, e.g. {@code events}. */
    public BackgroundCtr ctrInBackground(String... args) {
        return new BackgroundCtr(ctrCommand(args));
    }

    List<String> ctrCommand(String... args) {
        List<String> command = new ArrayList<>(List.of(release.ctr().toString(), "--address", address()));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Crashes containerd with SIGKILL, as the OOM killer or a power cut would: no shutdown path runs, the shims
     * keep running and the bundles stay.
     */
    public void kill9() {
        requireRunning();
        daemon.destroyForcibly(); // SIGKILL on Linux
        awaitExit(daemon, STOP_TIMEOUT);
    }

    /** Starts containerd again on the same config and directories, as systemd would after a crash. */
    public void restart() {
        if (isRunning()) {
            throw new IllegalStateException("containerd is still running as pid " + daemon.pid());
        }
        launch();
    }

    /** The last lines of containerd's log, for failure messages. */
    public String logTail(int maxLines) {
        try {
            List<String> lines = Files.readAllLines(config.log(), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - maxLines), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + config.log() + ": " + e + ")";
        }
    }

    /**
     * Removes what this containerd and its shims left: tasks and containers it can still reach, then containerd
     * itself (TERM, then KILL), then the leftovers of shims that died or outlived it (see {@link LeftoverSweep}),
     * and finally its directory. The log is copied to {@code keepLogAs} first when that is not null.
     */
    public void close(Path keepLogAs) {
        LeftoverSweep sweep = new LeftoverSweep(config);
        if (isRunning()) {
            sweep.noteNamespaces(removeTasksAndContainers());
        }
        sweep.noteShimSockets(); // before containerd stops: it may still delete bundles that name sockets
        stopDaemon();
        sweep.sweep();
        if (keepLogAs != null) {
            try {
                Files.createDirectories(keepLogAs.getParent());
                Files.copy(config.log(), keepLogAs, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                System.err.println("[e2e] cannot keep containerd's log as " + keepLogAs + ": " + e);
            }
        }
        sweep.removeDirectory();
    }

    @Override
    public void close() {
        close(null);
    }

    private void launch() {
        try {
            Files.createDirectories(config.log().getParent());
            ProcessBuilder builder = new ProcessBuilder(release.containerd().toString(), "--config",
                    config.file().toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(config.log().toFile()));
            // Shims are looked up on PATH before containerd's own directory (containerd v1.6.20
            // runtime/v2/shim/util.go, Command).
            String path = builder.environment().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
            builder.environment().put("PATH", config.bin() + File.pathSeparator + release.bin()
                    + File.pathSeparator + path);
            // the spare hand-off's fault hook (SpareFaults): armed only when a test writes a step into the file
            builder.environment().put(SpareFaults.VARIABLE, spareFaultFile().toString());
            daemon = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + release.containerd(), e);
        }
        awaitReady();
    }

    /** Polls {@code ctr version} until the grpc socket answers, failing early if containerd died. */
    private void awaitReady() {
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        CtrResult last = null;
        while (Instant.now().isBefore(deadline)) {
            if (!daemon.isAlive()) {
                throw new IllegalStateException("containerd exited with " + daemon.exitValue()
                        + " while starting; log tail:\n" + logTail(40));
            }
            last = ctr(Duration.ofSeconds(5), "version");
            if (last.succeeded()) {
                return;
            }
            pause(Duration.ofMillis(100));
        }
        daemon.destroyForcibly();
        throw new IllegalStateException("containerd did not answer within " + READY_TIMEOUT
                + (last == null ? "" : "; last try: " + last.describe()) + "\nlog tail:\n" + logTail(40));
    }

    /**
     * Best effort: SIGKILL every task, then delete tasks and containers in every namespace. Failures are only
     * reported; the sweep after containerd stops catches what is left. Returns the namespaces it found.
     */
    private List<String> removeTasksAndContainers() {
        CtrResult listed = ctr("namespaces", "ls", "-q");
        if (!listed.succeeded()) {
            System.err.println("[e2e] cannot list namespaces: " + listed.describe());
            return List.of();
        }
        List<String> namespaces = listed.stdout().strip().lines().filter(l -> !l.isBlank()).toList();
        namespaces.forEach(this::removeTasksAndContainers);
        return namespaces;
    }

    void removeTasksAndContainers(String namespace) {
        for (String task : ctr("-n", namespace, "task", "ls", "-q").stdout().strip().lines()
                .filter(l -> !l.isBlank()).toList()) {
            ctr("-n", namespace, "task", "kill", "-a", "-s", "KILL", task);
            // `task rm -f` kills and waits for the exit itself; the kill above only spares it the SIGTERM grace.
            CtrResult removed = ctr("-n", namespace, "task", "rm", "-f", task);
            if (!removed.succeeded()) {
                System.err.println("[e2e] cannot remove task: " + removed.describe());
            }
        }
        for (String container : ctr("-n", namespace, "containers", "ls", "-q").stdout().strip().lines()
                .filter(l -> !l.isBlank()).toList()) {
            CtrResult removed = ctr("-n", namespace, "containers", "rm", container);
            if (!removed.succeeded()) {
                System.err.println("[e2e] cannot remove container: " + removed.describe());
            }
        }
    }

    /** Stops containerd by its own pid: SIGTERM, then SIGKILL if it has not gone after a while. */
    private void stopDaemon() {
        if (daemon == null || !daemon.isAlive()) {
            return;
        }
        daemon.destroy(); // SIGTERM
        if (!awaitExit(daemon, STOP_TIMEOUT)) {
            System.err.println("[e2e] containerd " + daemon.pid() + " ignored SIGTERM; sending SIGKILL");
            daemon.destroyForcibly();
            awaitExit(daemon, STOP_TIMEOUT);
        }
    }

    private void requireRunning() {
        if (!isRunning()) {
            throw new IllegalStateException("containerd is not running");
        }
    }

    private static boolean awaitExit(Process process, Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static void pause(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
