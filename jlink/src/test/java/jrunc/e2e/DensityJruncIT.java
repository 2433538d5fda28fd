package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import jrunc.e2e.TaskLifecycleIT.Residue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Density by handler: the {@code [jrunc] grouping} setting of the file a runtime's {@code ConfigPath} names
 * ({@code ctr run --runtime-config-path}, which sends containerd's {@code runtimeoptions.v1.Options}) decides which
 * tasks share one daemon when their spec names no group: one per namespace, or one for the whole containerd. And
 * what density trades: a dense daemon SIGKILLed under its tasks takes them all, each ending in containerd's view
 * (containerd v1.6.20 runtime/v2/shim.go, cleanupAfterDeadShim, runs {@code delete} for each) with nothing left.
 */
@ContainerdTest(shim = Shim.JRUNC)
class DensityJruncIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** containerd cleans up after a dead shim one task at a time, each with a {@code delete} JVM. */
    private static final Duration ALL_GONE_TIMEOUT = Duration.ofSeconds(240);
    private static final int DENSE_TASKS = 20;

    @TempDir
    Path dir;

    @Test
    void nodeGroupingServesEveryNamespaceFromOneDaemon(Ctr ctr, PrivateContainerd containerd) throws IOException {
        Path config = grouping("node");
        Ctr other = otherNamespace(ctr, containerd);
        try {
            run(ctr, config, "n-a");
            run(ctr, config, "n-b");
            run(other, config, "n-c");

            Set<Path> sockets = new HashSet<>(List.of(Residue.socketOf(ctr, "n-a"), Residue.socketOf(ctr, "n-b"),
                    Residue.socketOf(other, "n-c")));
            assertEquals(1, sockets.size(), "the tasks' bundles name different sockets: " + sockets);
            List<Long> daemons = daemonsOf(containerd);
            assertEquals(1, daemons.size(), "shim daemons of this containerd: " + daemons);

            // served per namespace all the same: exec, and each namespace sees only its own tasks
            CtrResult exec = other.ctr("task", "exec", "--exec-id", "x1", "n-c", "sh", "-c", "echo out; echo err >&2");
            assertEquals("out", exec.stdout().strip(), exec::describe);
            assertTrue(exec.stderr().contains("err"), exec::describe);
            assertTrue(other.task("n-a").isEmpty(), "namespace " + other.namespace() + " lists n-a");
            assertEquals("RUNNING", ctr.task("n-a").orElseThrow().status());

            removeAll(ctr, List.of("n-a", "n-b"));
            assertTrue(ProcessHandle.of(daemons.getFirst()).isPresent(), "the daemon left while n-c still runs");
            assertEquals("RUNNING", other.task("n-c").orElseThrow().status());
            removeAll(other, List.of("n-c"));
            Residue.awaitNothingLeft(ctr, List.of("n-a", "n-b"), sockets);
            Residue.awaitNothingLeft(other, List.of("n-c"), sockets);
        } finally {
            other.removeAll();
        }
    }

    @Test
    void namespaceGroupingGivesEachNamespaceOneDaemon(Ctr ctr, PrivateContainerd containerd) throws IOException {
        Path config = grouping("namespace");
        Ctr other = otherNamespace(ctr, containerd);
        try {
            run(ctr, config, "s-a");
            run(ctr, config, "s-b");
            run(other, config, "s-c");

            Path mine = Residue.socketOf(ctr, "s-a");
            assertEquals(mine, Residue.socketOf(ctr, "s-b"), "one namespace, two sockets");
            Path theirs = Residue.socketOf(other, "s-c");
            assertNotEquals(mine, theirs, "two namespaces share a socket");
            assertEquals(1, Residue.shimDaemons(ctr).size(), "daemons of " + ctr.namespace());
            assertEquals(1, Residue.shimDaemons(other).size(), "daemons of " + other.namespace());

            // without the setting, a task keeps a daemon of its own (the runc shim's rule)
            ctr.runDetached("s-alone", "sleep", "600").requireSuccess();
            ctr.awaitTaskStatus("s-alone", "RUNNING", TIMEOUT);
            assertNotEquals(mine, Residue.socketOf(ctr, "s-alone"));
            assertEquals(2, Residue.shimDaemons(ctr).size(), "daemons of " + ctr.namespace());

            removeAll(ctr, List.of("s-a", "s-b", "s-alone"));
            removeAll(other, List.of("s-c"));
            Residue.awaitNothingLeft(ctr, List.of("s-a", "s-b", "s-alone"), List.of(mine));
            Residue.awaitNothingLeft(other, List.of("s-c"), List.of(theirs));
        } finally {
            other.removeAll();
        }
    }

    @Test
    void aDenseDaemonKilledUnderItsTasksEndsEveryTaskAndLeavesNothing(Ctr ctr, PrivateContainerd containerd)
            throws Exception {
        Path config = grouping("node");
        List<String> ids = new ArrayList<>();
        Map<String, Long> pids = new LinkedHashMap<>();
        for (int i = 0; i < DENSE_TASKS; i++) {
            String id = "d-" + i;
            ids.add(id);
            pids.put(id, run(ctr, config, id));
        }
        Path socket = Residue.socketOf(ctr, ids.getFirst());
        List<Long> daemons = daemonsOf(containerd);
        assertEquals(1, daemons.size(), "shim daemons of this containerd: " + daemons);

        try (BackgroundCtr events = ctr.events()) {
            ProcessHandle.of(daemons.getFirst()).orElseThrow().destroyForcibly(); // SIGKILL

            boolean gone = Poll.until(ALL_GONE_TIMEOUT, () -> ids.stream().allMatch(id -> ctr.task(id).isEmpty()));
            assertTrue(gone, "containerd still lists tasks of the killed daemon: " + ctr.ctr("task", "ls").stdout());
            for (String id : ids) {
                events.awaitLine(l -> l.contains("/tasks/exit") && l.contains("\"" + id + "\""), TIMEOUT);
            }
        }
        for (Map.Entry<String, Long> init : pids.entrySet()) {
            boolean ended = Poll.until(TIMEOUT, () -> !ProcessHandle.of(init.getValue()).map(ProcessHandle::isAlive).orElse(false));
            assertTrue(ended, "the init of " + init.getKey() + " (pid " + init.getValue() + ") outlived its task");
        }
        for (String id : ids) {
            ctr.ctr("container", "rm", id).requireSuccess();
        }
        // containerd gives each delete 5 s; 20 delete JVMs at once on a busy node may not all answer in time. Their
        // Stop path completes anyway (the launcher), but containerd 1.6 removes a bundle directory only after a
        // delete that answered (v1.6.20 runtime/v2/binary.go, Delete), and leaves the others to its next start's
        // cleanup (runtime/v2/manager.go, loadExistingTasks). Nothing else may be left, and after that start, not
        // even those.
        boolean onlyBundles = Poll.until(TIMEOUT, () -> Residue.leftovers(ctr, ids, List.of(socket)).stream()
                .allMatch(left -> left.startsWith("bundle ")));
        assertTrue(onlyBundles, "left behind: " + Residue.leftovers(ctr, ids, List.of(socket)));
        if (!Residue.leftovers(ctr, ids, List.of(socket)).isEmpty()) {
            System.err.println("[e2e] bundles kept by containerd after timed-out deletes: "
                    + Residue.leftovers(ctr, ids, List.of(socket)) + "; restarting containerd");
            containerd.kill9(); // no shim of these tasks is left for it to lose
            containerd.restart();
        }
        Residue.awaitNothingLeft(ctr, ids, List.of(socket));
        assertEquals(List.of(), daemonsOf(containerd), "shim daemons left");
    }

    /** A runc options file with jrunc's {@code [jrunc] grouping} set. */
    private Path grouping(String grouping) throws IOException {
        return Files.writeString(dir.resolve("runc-" + grouping + ".toml"), """
                # runc's options keep their defaults
                [jrunc]
                grouping = "%s"
                """.formatted(grouping));
    }

    /** Runs the task detached with the runtime config file, waits until it runs, returns its init pid. */
    private static long run(Ctr ctr, Path config, String id) {
        ctr.run(List.of("-d", "--runtime-config-path", config.toString()), id, "sleep", "600").requireSuccess();
        return ctr.awaitTaskStatus(id, "RUNNING", TIMEOUT).pid();
    }

    private static void removeAll(Ctr ctr, List<String> ids) {
        for (String id : ids) {
            ctr.ctr("task", "kill", "-s", "KILL", id).requireSuccess();
            ctr.awaitTaskStatus(id, "STOPPED", TIMEOUT);
            ctr.ctr("task", "rm", id).requireSuccess();
            ctr.ctr("container", "rm", id).requireSuccess();
        }
    }

    /** A second namespace of the same containerd, with the image, for the same shim. */
    private static Ctr otherNamespace(Ctr ctr, PrivateContainerd containerd) {
        String namespace = ctr.namespace() + "-b" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000));
        BusyboxImage.importInto(containerd, namespace);
        return new Ctr(containerd, namespace, ctr.shim());
    }

    /** Shim daemons of this containerd in any namespace (a node-wide daemon's -namespace is its first task's). */
    private static List<Long> daemonsOf(PrivateContainerd containerd) {
        List<Long> pids = new ArrayList<>();
        for (ProcessHandle process : ProcessHandle.allProcesses().toList()) {
            List<String> argv = Residue.cmdline(process.pid());
            int at = argv.indexOf("-address");
            if (at >= 0 && at + 1 < argv.size() && argv.get(at + 1).equals(containerd.address())
                    && !argv.contains("start") && !argv.contains("delete")) {
                pids.add(process.pid());
            }
        }
        return pids;
    }

}
