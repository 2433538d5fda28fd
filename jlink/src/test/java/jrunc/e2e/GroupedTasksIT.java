package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import jrunc.e2e.TaskLifecycleIT.Residue;
import org.junit.jupiter.api.Test;

/**
 * Tasks annotated with one {@code io.containerd.runc.v2.group} share a shim daemon (containerd v1.6.20
 * runtime/v2/runc/manager/manager_linux.go, readSpec and groupLabels), and that
 * daemon outlives a containerd crash with its tasks, answering containerd's reconnect so that they stay
 * manageable (containerd v1.6.20 runtime/v2/manager.go, loadExistingTasks, and runtime/v2/shim.go,
 * cleanupAfterDeadShim). One subclass per {@link Shim}; Go's shim is the reference.
 */
abstract class GroupedTasksIT {

    static final String GROUP_ANNOTATION = "io.containerd.runc.v2.group";
    static final List<String> GROUP = List.of("g1-a", "g1-b", "g1-c");

    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration EVENT_TIMEOUT = Duration.ofSeconds(20);

    /** Runs the three tasks of group g1 detached and returns each one's init pid. */
    static Map<String, Long> runGroup(Ctr ctr) {
        Map<String, Long> pids = new LinkedHashMap<>();
        for (String id : GROUP) {
            ctr.run(List.of("-d", "--annotation", GROUP_ANNOTATION + "=g1"), id, "sleep", "600").requireSuccess();
            pids.put(id, ctr.awaitTaskStatus(id, "RUNNING", STATE_TIMEOUT).pid());
        }
        return pids;
    }

    /** The one daemon serving this namespace; fails when there is not exactly one. */
    static long theDaemon(Ctr ctr) {
        List<Long> daemons = Residue.shimDaemons(ctr);
        assertEquals(1, daemons.size(), "shim daemons serving " + ctr.namespace() + ": " + daemons);
        return daemons.getFirst();
    }

    @Test
    void oneDaemonServesTheWholeGroup(Ctr ctr) {
        runGroup(ctr);

        theDaemon(ctr);
        Set<Path> sockets = new HashSet<>();
        GROUP.forEach(id -> sockets.add(Residue.socketOf(ctr, id)));
        assertEquals(1, sockets.size(), "the group's bundles name different sockets: " + sockets);

        // a task outside the group gets a daemon of its own
        ctr.runDetached("loner", "sleep", "600").requireSuccess();
        ctr.awaitTaskStatus("loner", "RUNNING", STATE_TIMEOUT);
        assertEquals(2, Residue.shimDaemons(ctr).size(), "daemons: " + Residue.shimDaemons(ctr));
        assertFalse(sockets.contains(Residue.socketOf(ctr, "loner")), "the loner shares the group's socket");
    }

    @Test
    void groupSurvivesAContainerdCrashAndStaysManageable(Ctr ctr, PrivateContainerd containerd) throws IOException {
        Map<String, Long> pids = runGroup(ctr);
        long daemon = theDaemon(ctr);
        Path socket = Residue.socketOf(ctr, GROUP.getFirst());

        containerd.kill9();
        // without containerd the daemon keeps serving its tasks
        assertTrue(isAlive(daemon), "the shim daemon died with containerd");
        pids.forEach((id, pid) -> assertTrue(isAlive(pid), "task " + id + " (pid " + pid + ") died with containerd"));

        long logMark = Files.size(containerd.logFile());
        containerd.restart();

        for (String id : GROUP) {
            Ctr.Task task = ctr.task(id).orElseThrow(() -> new AssertionError("task " + id + " lost in the restart; "
                    + "containerd's log since:\n" + logSince(containerd, logMark)));
            assertEquals("RUNNING", task.status(), task::toString);
            assertEquals(pids.get(id), task.pid(), task::toString);
        }
        List<String> cleanups = logSince(containerd, logMark).lines()
                .filter(l -> l.contains("cleaning up") || l.contains("dead shim"))
                .filter(l -> GROUP.stream().anyMatch(id -> l.contains("id=" + id)))
                .toList();
        assertEquals(List.of(), cleanups, "containerd gave up on the group's shim when it reloaded it");

        try (BackgroundCtr events = ctr.events()) {
            // events reach the new containerd: the daemon's publisher found its socket again
            ctr.ctr("task", "kill", "-s", "KILL", "g1-a").requireSuccess();
            ctr.awaitTaskStatus("g1-a", "STOPPED", STATE_TIMEOUT);
            String exit = events.awaitLine(l -> l.contains("/tasks/exit") && l.contains("\"g1-a\""), EVENT_TIMEOUT);
            assertTrue(exit.contains("\"exit_status\":137"), "exit event of g1-a: " + exit);
        }
        CtrResult removed = ctr.ctr("task", "rm", "g1-a").requireSuccess();
        assertTrue(removed.stderr().contains("137"), removed::describe);
        ctr.ctr("container", "rm", "g1-a").requireSuccess();

        // containerd called Shutdown after that Delete; with two tasks left it must have changed nothing
        assertTrue(isAlive(daemon), "the daemon exited while it still had tasks");
        for (String id : List.of("g1-b", "g1-c")) {
            assertEquals("RUNNING", ctr.task(id).orElseThrow().status(), id);
        }
        CtrResult exec = ctr.ctr("task", "exec", "--exec-id", "after", "g1-b", "echo", "still-served");
        assertEquals("still-served", exec.stdout().strip(), exec::describe);

        for (String id : List.of("g1-b", "g1-c")) {
            ctr.ctr("task", "kill", "-s", "KILL", id).requireSuccess();
            ctr.awaitTaskStatus(id, "STOPPED", STATE_TIMEOUT);
            ctr.ctr("task", "rm", id).requireSuccess();
            ctr.ctr("container", "rm", id).requireSuccess();
        }
        boolean leaks = ctr.shim() == Shim.RUNC_V2 && containerd.release().goShimLosesEventsAndGroupSockets();
        Residue.awaitNothingLeft(ctr, GROUP, leaks ? List.of() : List.of(socket));
    }

    @Test
    void groupStartedAllAtOnceStillHasOneDaemon(Ctr ctr) throws Exception {
        // containerd starts a pod's containers concurrently: the starts race for the group's socket
        List<Thread> starters = new ArrayList<>();
        Map<String, CtrResult> results = new ConcurrentHashMap<>();
        for (String id : GROUP) {
            starters.add(Thread.ofPlatform().start(() -> results.put(id,
                    ctr.run(List.of("-d", "--annotation", GROUP_ANNOTATION + "=g1"), id, "sleep", "600"))));
        }
        for (Thread starter : starters) {
            starter.join();
        }
        results.values().forEach(CtrResult::requireSuccess);
        for (String id : GROUP) {
            ctr.awaitTaskStatus(id, "RUNNING", STATE_TIMEOUT);
        }
        theDaemon(ctr);
    }

    /**
     * containerd 1.6 lists the dead task as STOPPED; from 1.7 on it deletes a reloaded task that has no process left
     * (containerd v1.7.24 runtime/v2/shim_load.go, "cleaning leaked shim process"), with either shim.
     */
    @Test
    void taskThatDiesWhileContainerdIsDownIsStoppedWhenItReturns(Ctr ctr, PrivateContainerd containerd)
            throws InterruptedException {
        Map<String, Long> pids = runGroup(ctr);

        containerd.kill9();
        // the test started this container, so it may end it: as the OOM killer would, with nobody listening
        ProcessHandle.of(pids.get("g1-c")).ifPresent(ProcessHandle::destroyForcibly);
        containerd.restart();

        if (containerd.release().deletesTasksThatDiedWhileItWasDown()) {
            assertTrue(Poll.until(STATE_TIMEOUT, () -> ctr.task("g1-c").isEmpty()), "g1-c still listed: " + ctr.task("g1-c"));
            for (String id : List.of("g1-a", "g1-b")) {
                assertEquals("RUNNING", ctr.task(id).orElseThrow().status(), id);
            }
            return;
        }
        ctr.awaitTaskStatus("g1-c", "STOPPED", STATE_TIMEOUT);
        for (String id : List.of("g1-a", "g1-b")) {
            assertEquals("RUNNING", ctr.task(id).orElseThrow().status(), id);
        }
        CtrResult removed = ctr.ctr("task", "rm", "g1-c").requireSuccess();
        assertTrue(removed.stderr().contains("137"), removed::describe);
        assertEquals("RUNNING", ctr.task("g1-a").orElseThrow().status());
    }

    static boolean isAlive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** containerd's log from {@code offset} bytes on (the log is appended to across restarts). */
    static String logSince(PrivateContainerd containerd, long offset) {
        try {
            byte[] all = Files.readAllBytes(containerd.logFile());
            int from = (int) Math.min(offset, all.length);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The names of a process's threads, from {@code /proc/<pid>/task/<tid>/comm}. */
    static List<String> threadNames(long pid) {
        List<String> names = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    names.add(Files.readString(task.resolve("comm"), StandardCharsets.UTF_8).strip());
                } catch (IOException e) {
                    // the thread ended while we looked
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }
}
