package jrunc.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The containerd release the end-to-end tests run against: its {@code containerd}, {@code ctr} and its own Go
 * {@code containerd-shim-runc-v2}, the reference for that release.
 *
 * <p>{@code -Djrunc.containerd.release} picks it (failsafe runs the suite once per release); without it the tests
 * use {@link #DEFAULT}, Debian bookworm's installed 1.6. Other releases come from Debian's packages through the
 * project's own {@code scripts/containerd-release.sh}, which unpacks them into a cache and prints the directory
 * whose {@code usr/bin} holds the three binaries; nothing is installed system-wide.
 */
public record ContainerdRelease(String name, Path prefix) {

    public static final String PROPERTY = "jrunc.containerd.release";
    /** The script that fetches a release; failsafe points at the one in this repository. */
    public static final String SCRIPT_PROPERTY = "jrunc.containerd.release.script";
    public static final String DEFAULT = "1.6";

    private static final Duration FETCH_TIMEOUT = Duration.ofMinutes(5);
    private static ContainerdRelease current;

    /** The release of this test run, fetched on first use. */
    public static synchronized ContainerdRelease current() {
        if (current == null) {
            current = of(System.getProperty(PROPERTY, DEFAULT));
        }
        return current;
    }

    /** A release by name ({@code 1.6}, {@code 1.7}, {@code 2}), fetched if the cache lacks it. */
    static ContainerdRelease of(String name) {
        if (name.equals(DEFAULT)) {
            return new ContainerdRelease(name, Path.of("/"));
        }
        Path script = Path.of(System.getProperty(SCRIPT_PROPERTY, "../scripts/containerd-release.sh"))
                .toAbsolutePath().normalize();
        if (!Files.isExecutable(script)) {
            throw new IllegalStateException("cannot fetch containerd " + name + ": no executable " + script
                    + " (-D" + SCRIPT_PROPERTY + ")");
        }
        CtrResult fetched = Commands.run(List.of(script.toString(), name), FETCH_TIMEOUT);
        if (!fetched.succeeded() || fetched.stdout().isBlank()) {
            throw new IllegalStateException("cannot fetch containerd " + name + ": " + fetched.describe());
        }
        ContainerdRelease release = new ContainerdRelease(name, Path.of(fetched.stdout().strip()));
        if (!Files.isExecutable(release.containerd())) {
            throw new IllegalStateException(script + " printed " + release.prefix() + ", which has no "
                    + release.containerd());
        }
        return release;
    }

    /** The directory containerd looks in first for {@code containerd-shim-<name>-<version>} binaries. */
    public Path bin() {
        return prefix.resolve("usr/bin");
    }

    public Path containerd() {
        return bin().resolve("containerd");
    }

    public Path ctr() {
        return bin().resolve("ctr");
    }

    /** This release's own Go shim, the reference the tests compare ours with. */
    public Path runcShim() {
        return bin().resolve("containerd-shim-runc-v2");
    }

    /** The major version: containerd 2.x changed its config schema, plugin names and shim protocol. */
    public int major() {
        return Integer.parseInt(name.split("\\.")[0]);
    }

    /**
     * From 1.7 on, containerd deletes a task it reloads after a restart when the task has no process left, instead
     * of listing it STOPPED (containerd v1.7.24 runtime/v2/shim_load.go, loadShims).
     */
    public boolean deletesTasksThatDiedWhileItWasDown() {
        return !name.equals("1.6");
    }

    /**
     * What this release's Go shim, the reference, does not do that the tests otherwise ask of both shims. Go's 2.x
     * shim exits on Shutdown without waiting for its event queue (1.6 waited for the publisher; containerd v2.1.4
     * pkg/shim/shim.go, run), so a TaskDelete can be lost; and it writes no {@code address} file, so on exit it finds
     * its socket only when the group key is the task id (pkg/shim/util_unix.go, cleanupSockets): a group named by
     * the annotation leaves its socket behind. jrunc is held to the 1.6 behaviour on every release.
     */
    public boolean goShimLosesEventsAndGroupSockets() {
        return major() >= 2;
    }

    /**
     * The Task service name to call on a shim of this release: Go's 2.x shim answers to protocol version 3 and serves
     * {@code containerd.task.v3.Task} only (containerd v2.1.4 cmd/containerd-shim-runc-v2/manager/manager_linux.go,
     * Start); Go's 1.x shims serve {@code containerd.task.v2.Task}; jrunc serves both, and is asked for v2.
     */
    public String taskService(Shim shim) {
        return shim == Shim.RUNC_V2 && major() >= 2 ? "containerd.task.v3.Task" : "containerd.task.v2.Task";
    }

    /** {@code containerd --version}, e.g. {@code containerd github.com/containerd/containerd/v2 2.1.9 …}. */
    public String version() {
        return Commands.run(List.of(containerd().toString(), "--version"), Duration.ofSeconds(20)).stdout().strip();
    }

    @Override
    public String toString() {
        return "containerd " + name + " (" + containerd() + ")";
    }
}
