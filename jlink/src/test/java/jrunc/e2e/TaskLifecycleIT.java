package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A task's whole life as {@code ctr} users see it, beyond the baseline: its stderr and stdin, {@code task ps},
 * a signal's exit status, an exec beside the init, containerd's NOT_FOUND for what does not exist, and, once
 * everything is removed, nothing left behind (containerd v1.6.20
 * runtime/v2/runc/task/service.go and pkg/process/io.go). One subclass per {@link Shim},
 * so Go's shim pins the behaviour ours must match.
 */
abstract class TaskLifecycleIT {

    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration EVENT_TIMEOUT = Duration.ofSeconds(20);

    @Test
    void stderrArrivesOnCtrsStderr(Ctr ctr) {
        CtrResult result = ctr.run("complainer", "sh", "-c", "echo oops >&2; exit 3");

        assertEquals(3, result.exitCode(), result::describe);
        assertTrue(result.stderr().contains("oops"), result::describe);
        assertFalse(result.stdout().contains("oops"), "stderr went to stdout: " + result.describe());
    }

    @Test
    void aTaskWithoutStdioRunsToItsEnd(Ctr ctr) {
        // runc's stdio is the container's /dev/null then: nothing of the shim's may stay open in the task
        CtrResult result = ctr.run(List.of("--rm", "--null-io"), "quiet", "sh", "-c", "echo unseen; exit 7");

        assertEquals(7, result.exitCode(), result::describe);
        assertFalse(result.stdout().contains("unseen"), result::describe);
    }

    @Test
    void stdinReachesTheTask(Ctr ctr) {
        CtrResult result = ctr.runWithInput("hello from stdin\n", "reader", "sh", "-c", "read line; echo \"got $line\"");

        assertEquals(0, result.exitCode(), result::describe);
        assertEquals("got hello from stdin", result.stdout().strip(), result::describe);
    }

    @Test
    void detachedTaskIsListedByPsAndStopsWithItsSignalsStatus(Ctr ctr) {
        try (BackgroundCtr events = ctr.events()) {
            ctr.runDetached("sleeper", "sleep", "600").requireSuccess();
            Ctr.Task running = ctr.awaitTaskStatus("sleeper", "RUNNING", STATE_TIMEOUT);

            CtrResult ps = ctr.ctr("task", "ps", "sleeper").requireSuccess();
            assertTrue(ps.stdout().lines().skip(1).anyMatch(l -> l.trim().startsWith(running.pid() + " ")
                            || l.trim().equals(Long.toString(running.pid()))),
                    "task ps does not list the init's pid " + running.pid() + ": " + ps.describe());

            ctr.ctr("task", "kill", "-s", "KILL", "sleeper").requireSuccess();
            ctr.awaitTaskStatus("sleeper", "STOPPED", STATE_TIMEOUT);
            String exit = events.awaitLine(l -> l.contains("/tasks/exit") && l.contains("\"sleeper\""), EVENT_TIMEOUT);
            assertTrue(exit.contains("\"exit_status\":137"), "SIGKILL is not 128+9 in the exit event: " + exit);

            // ctr reports the status Delete hands back when it is not 0
            CtrResult removed = ctr.ctr("task", "rm", "sleeper").requireSuccess();
            assertTrue(removed.stderr().contains("137"), "task rm did not see exit status 137: " + removed.describe());
            ctr.ctr("container", "rm", "sleeper").requireSuccess();
        }
    }

    /**
     * A short exec writes and exits at once: its stdout and stderr still reach ctr, every time, though ctr opens its
     * FIFOs in the background and, from containerd 1.7 on, closes them as soon as DeleteProcess has answered.
     */
    @Test
    void everyShortExecHandsBackItsStdoutAndStderr(Ctr ctr) {
        ctr.runDetached("host", "sleep", "600").requireSuccess();
        ctr.awaitTaskStatus("host", "RUNNING", STATE_TIMEOUT);
        for (int i = 0; i < 12; i++) {
            CtrResult exec = ctr.ctr("task", "exec", "--exec-id", "short-" + i, "host",
                    "sh", "-c", "echo out-" + i + "; echo err-" + i + " >&2");
            assertEquals(0, exec.exitCode(), exec::describe);
            assertEquals("out-" + i, exec.stdout().strip(), exec::describe);
            assertHandsBackStderr(ctr, exec, "err-" + i);
        }
    }

    /**
     * The exec's stderr reached ctr: asserted on jrunc. On Go's shim, the reference, a loss is reported, not failed.
     * containerd's client from 1.7 on closes its ends of the FIFOs as soon as DeleteProcess has answered
     * ({@code cio.Cancel}, containerd v1.7.24 pkg/cio/io_unix.go), and Go's shim answers without waiting for ctr to
     * have read the output, so on a loaded node ctr now and then closes before it read a short exec's stderr (seen
     * with containerd 2.1.9 at load averages of 19 and 24). jrunc answers only once the client has read what waits
     * in the FIFO ({@code ClientEnds.FifoEnd}).
     */
    private static void assertHandsBackStderr(Ctr ctr, CtrResult exec, String expected) {
        if (exec.stderr().contains(expected)) return;
        if (ctr.shim() == Shim.RUNC_V2) {
            System.err.println("[e2e] Go's shim lost an exec's stderr (" + expected + "), as it can under load: "
                    + exec.describe());
            return;
        }
        fail("the exec's stderr (" + expected + ") was lost: " + exec.describe());
    }

    @Test
    void execRunsBesideTheInitAndHandsBackItsOutputAndExitCode(Ctr ctr) {
        try (BackgroundCtr events = ctr.events()) {
            ctr.runDetached("host", "sleep", "600").requireSuccess();
            ctr.awaitTaskStatus("host", "RUNNING", STATE_TIMEOUT);

            CtrResult exec = ctr.ctr("task", "exec", "--exec-id", "e1", "host",
                    "sh", "-c", "echo from-exec; echo exec-err >&2; exit 4");

            assertEquals(4, exec.exitCode(), exec::describe);
            assertEquals("from-exec", exec.stdout().strip(), exec::describe);
            assertHandsBackStderr(ctr, exec, "exec-err");
            String exit = events.awaitLine(l -> l.contains("/tasks/exit") && l.contains("\"id\":\"e1\""), EVENT_TIMEOUT);
            assertTrue(exit.contains("\"exit_status\":4"), "exec exit event without its status: " + exit);
            events.awaitLine(l -> l.contains("/tasks/exec-started") && l.contains("\"e1\""), EVENT_TIMEOUT);

            // ctr deleted the exec when it ended, so its id is free again; the init was never disturbed
            CtrResult again = ctr.ctr("task", "exec", "--exec-id", "e1", "host", "echo", "again");
            assertEquals(0, again.exitCode(), again::describe);
            assertEquals("again", again.stdout().strip(), again::describe);
            assertEquals("RUNNING", ctr.task("host").orElseThrow().status());
        }
    }

    /**
     * An exec that leaves a child holding its stdout: its output and exit code still reach ctr, and neither ctr nor
     * the exec's delete waits for the child (the shim stops copying a bounded time after the exit, containerd
     * v1.6.20 pkg/process/exec.go, delete).
     */
    @Test
    void anExecWhoseChildStillHoldsItsStdoutStillEnds(Ctr ctr) {
        ctr.runDetached("host", "sleep", "600").requireSuccess();
        ctr.awaitTaskStatus("host", "RUNNING", STATE_TIMEOUT);

        CtrResult exec = ctr.ctr("task", "exec", "--exec-id", "leaver", "host", "sh", "-c", "sleep 600 & echo started");

        assertEquals(0, exec.exitCode(), exec::describe);
        assertEquals("started", exec.stdout().strip(), exec::describe);
        assertEquals("RUNNING", ctr.task("host").orElseThrow().status());
    }

    @Test
    void execKilledBySignalExitsWith128PlusTheSignal(Ctr ctr) {
        try (BackgroundCtr events = ctr.events()) {
            ctr.runDetached("host", "sleep", "600").requireSuccess();
            ctr.awaitTaskStatus("host", "RUNNING", STATE_TIMEOUT);
            ctr.ctr("task", "exec", "-d", "--exec-id", "sleeper", "host", "sleep", "600").requireSuccess();
            events.awaitLine(l -> l.contains("/tasks/exec-started") && l.contains("\"sleeper\""), EVENT_TIMEOUT);

            // unlike the init (PID 1 of its namespace ignores SIGTERM without a handler), the exec dies of it
            ctr.ctr("task", "kill", "--exec-id", "sleeper", "-s", "TERM", "host").requireSuccess();

            String exit = events.awaitLine(l -> l.contains("/tasks/exit") && l.contains("\"id\":\"sleeper\""),
                    EVENT_TIMEOUT);
            assertTrue(exit.contains("\"exit_status\":143"), "SIGTERM is not 128+15 in the exit event: " + exit);
            assertEquals("RUNNING", ctr.task("host").orElseThrow().status());
        }
    }

    @Test
    void killOfWhatDoesNotExistIsNotFound(Ctr ctr) {
        CtrResult unknownTask = ctr.ctr("task", "kill", "nosuch");
        assertFalse(unknownTask.succeeded(), unknownTask::describe);
        assertTrue(unknownTask.stderr().contains("not found"), unknownTask::describe);

        // an unknown exec of a known task is answered by the shim itself
        ctr.runDetached("host", "sleep", "600").requireSuccess();
        ctr.awaitTaskStatus("host", "RUNNING", STATE_TIMEOUT);
        CtrResult unknownExec = ctr.ctr("task", "kill", "--exec-id", "nope", "host");
        assertFalse(unknownExec.succeeded(), unknownExec::describe);
        assertTrue(unknownExec.stderr().contains("not found"), unknownExec::describe);
        assertEquals("RUNNING", ctr.task("host").orElseThrow().status());
    }

    @Test
    void nothingOfRemovedTasksIsLeftBehind(Ctr ctr) {
        ctr.run("foreground", "echo", "hi").requireSuccess();
        ctr.runDetached("detached", "sleep", "600").requireSuccess();
        ctr.awaitTaskStatus("detached", "RUNNING", STATE_TIMEOUT);
        ctr.ctr("task", "exec", "--exec-id", "e1", "detached", "true").requireSuccess();
        Path socket = Residue.socketOf(ctr, "detached");
        assertTrue(Files.exists(socket), "the shim's socket " + socket + " does not exist while it serves");
        assertEquals(1, Residue.shimDaemons(ctr).size(), "shim daemons: " + Residue.shimDaemons(ctr));
        // the check below sees every kind of leftover while the task still has it
        List<String> present = Residue.leftovers(ctr, List.of("detached"), List.of(socket));
        for (String kind : List.of("shim daemon ", "bundle ", "mount ", "socket ", "runc state ")) {
            assertTrue(present.stream().anyMatch(l -> l.startsWith(kind)), "no " + kind + "seen in " + present);
        }

        ctr.ctr("task", "kill", "-s", "KILL", "detached").requireSuccess();
        ctr.awaitTaskStatus("detached", "STOPPED", STATE_TIMEOUT);
        ctr.ctr("task", "rm", "detached").requireSuccess();
        ctr.ctr("container", "rm", "detached").requireSuccess();

        Residue.awaitNothingLeft(ctr, List.of("foreground", "detached"), List.of(socket));
    }

    /**
     * What a shim leaves on the host for its tasks, found from one containerd and one namespace only (other
     * containerds share {@code /run/containerd/s} and the runc root): serving shim processes, bundles, mounts under
     * them, sockets, runc state.
     */
    static final class Residue {
        private static final Path RUNC_ROOT = Path.of("/run/containerd/runc");
        private static final Duration GONE_TIMEOUT = Duration.ofSeconds(15);

        private Residue() {
        }

        /**
         * Shim daemons serving this namespace for this containerd (not a passing {@code start} or {@code delete}, nor
         * a warm spare waiting for a task: {@link WarmSpares}).
         */
        static List<Long> shimDaemons(Ctr ctr) {
            List<Long> pids = new ArrayList<>();
            for (ProcessHandle process : ProcessHandle.allProcesses().toList()) {
                List<String> argv = cmdline(process.pid());
                if (flag(argv, "-address").equals(ctr.containerd().address())
                        && flag(argv, "-namespace").equals(ctr.namespace())
                        && !argv.contains("start") && !argv.contains("delete") && !argv.contains("-spare")) {
                    pids.add(process.pid());
                }
            }
            return pids;
        }

        /** The socket the task's bundle names ({@link BundleAddress}); read it while the bundle exists. */
        static Path socketOf(Ctr ctr, String id) {
            return BundleAddress.socketOf(ctr.bundle(id))
                    .orElseThrow(() -> new AssertionError("no address file (nor bootstrap.json) for " + id));
        }

        /** Polls until nothing of these tasks is left, then fails naming whatever still is. */
        static void awaitNothingLeft(Ctr ctr, Collection<String> ids, Collection<Path> sockets) {
            Instant deadline = Instant.now().plus(GONE_TIMEOUT);
            List<String> left = leftovers(ctr, ids, sockets);
            while (!left.isEmpty() && Instant.now().isBefore(deadline)) {
                PrivateContainerd.pause(Duration.ofMillis(50));
                left = leftovers(ctr, ids, sockets);
            }
            assertEquals(List.of(), left, "left behind after the tasks were removed");
        }

        static List<String> leftovers(Ctr ctr, Collection<String> ids, Collection<Path> sockets) {
            List<String> left = new ArrayList<>();
            shimDaemons(ctr).forEach(pid -> left.add("shim daemon " + pid + " " + cmdline(pid)));
            Path bundles = ctr.bundle("x").getParent();
            list(bundles).forEach(bundle -> left.add("bundle " + bundle));
            LeftoverSweep.mountsUnder(bundles).forEach(mount -> left.add("mount " + mount));
            for (Path socket : sockets) {
                if (Files.exists(socket)) {
                    left.add("socket " + socket);
                }
            }
            for (String id : ids) {
                Path state = RUNC_ROOT.resolve(ctr.namespace()).resolve(id);
                if (Files.exists(state)) {
                    left.add("runc state " + state);
                }
            }
            return left;
        }

        /** The value after {@code name} in argv, or "". */
        private static String flag(List<String> argv, String name) {
            int at = argv.indexOf(name);
            return at >= 0 && at + 1 < argv.size() ? argv.get(at + 1) : "";
        }

        static List<String> cmdline(long pid) {
            try {
                String raw = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8);
                return raw.isEmpty() ? List.of() : List.of(raw.split("\0"));
            } catch (IOException | UncheckedIOException e) {
                return List.of(); // gone, or a kernel thread
            }
        }

        private static List<Path> list(Path dir) {
            List<Path> entries = new ArrayList<>();
            if (!Files.isDirectory(dir)) {
                return entries;
            }
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
                stream.forEach(entries::add);
            } catch (IOException e) {
                // vanished while we looked: nothing there
            }
            return entries;
        }
    }
}
