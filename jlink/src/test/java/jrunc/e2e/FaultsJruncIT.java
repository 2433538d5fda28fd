package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Faults while containerd drives our shim, each ending in a clear error and, once containerd has removed the task,
 * nothing of it left and a {@code shim-doctor scan} that exits 0 ({@link NoLeftovers}): the shim daemon SIGKILLed
 * during Create, Start and an exec; containerd SIGKILLed and restarted during Create; a runc that is missing, fails
 * or hangs;
 * the reader of the shim's log FIFO gone. runc is held, failed or hung on cue by a {@link FaultyRunc} on
 * containerd's {@code PATH}.
 */
@ContainerdTest(shim = Shim.JRUNC)
class FaultsJruncIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private FaultyRunc runc;

    @BeforeEach
    void faultyRunc(PrivateContainerd containerd) {
        runc = FaultyRunc.install(containerd);
    }

    @AfterEach
    void plainRunc(PrivateContainerd containerd) throws Exception {
        runc.close();
        if (!containerd.isRunning()) containerd.restart();
    }

    @Test
    void theShimKilledDuringCreateFailsTheRunAndLeavesNothing(Ctr ctr) throws Exception {
        List<String> said = killTheShimWhileRuncHolds(ctr, "create");
        assertTrue(String.join("\n", said).contains("ttrpc: closed"), () -> "ctr said " + said);
    }

    @Test
    void theShimKilledDuringStartFailsTheRunAndLeavesNothing(Ctr ctr) throws Exception {
        killTheShimWhileRuncHolds(ctr, "start");
    }

    /**
     * {@code ctr run -d victim} with runc held in {@code command}; the shim is SIGKILLed there: the run fails, and
     * once runc is let go (containerd has cleaned up after the dead shim by then) nothing of the task is left.
     * Returns what ctr said.
     */
    private List<String> killTheShimWhileRuncHolds(Ctr ctr, String command) throws Exception {
        runc.block(command);
        try (BackgroundCtr run = ctr.containerd().ctrInBackground("-n", ctr.namespace(), "run", "-d", "--runtime",
                ctr.shim().runtime(), BusyboxImage.REF, "victim", "sleep", "600")) {
            long held = runc.awaitHeld(command);
            Path socket = TaskLifecycleIT.Residue.socketOf(ctr, "victim");
            killShimOf(ctr);
            assertNotEquals(0, run.awaitExit(TIMEOUT), () -> "ctr run succeeded: " + run.lines());
            runc.release(command);
            awaitGone(held);
            removeEverything(ctr, "victim");
            NoLeftovers.assertNothingLeft(ctr, List.of("victim"), List.of(socket));
            return run.lines();
        }
    }

    @Test
    void theShimKilledDuringAnExecFailsTheExecAndTheTaskIsRemovedWithNothingLeft(Ctr ctr) throws Exception {
        ctr.runDetached("host", "sleep", "600").requireSuccess();
        ctr.awaitTaskStatus("host", "RUNNING", TIMEOUT);
        Path socket = TaskLifecycleIT.Residue.socketOf(ctr, "host");
        runc.block("exec");
        try (BackgroundCtr exec = ctr.containerd().ctrInBackground("-n", ctr.namespace(), "task", "exec",
                "--exec-id", "e1", "host", "sleep", "600")) {
            long held = runc.awaitHeld("exec");
            killShimOf(ctr);
            assertNotEquals(0, exec.awaitExit(TIMEOUT), () -> "ctr task exec succeeded: " + exec.lines());
            runc.release("exec");
            awaitGone(held);
        }
        // containerd sees its shim go and cleans up after it: the task is gone with its container
        assertTrue(Poll.until(TIMEOUT, () -> ctr.task("host").map(t -> t.status().equals("STOPPED")).orElse(true)),
                () -> "containerd still lists " + ctr.task("host"));
        removeEverything(ctr, "host");
        NoLeftovers.assertNothingLeft(ctr, List.of("host"), List.of(socket));
    }

    @Test
    void containerdKilledAndRestartedDuringCreateLeavesATaskItCanRemove(Ctr ctr) throws Exception {
        PrivateContainerd containerd = ctr.containerd();
        runc.block("create");
        Path socket;
        try (BackgroundCtr run = containerd.ctrInBackground("-n", ctr.namespace(), "run", "-d", "--runtime",
                ctr.shim().runtime(), BusyboxImage.REF, "victim", "sleep", "600")) {
            runc.awaitHeld("create");
            socket = TaskLifecycleIT.Residue.socketOf(ctr, "victim");
            containerd.kill9();
            assertNotEquals(0, run.awaitExit(TIMEOUT), () -> "ctr run succeeded: " + run.lines());
        }
        runc.release("create"); // runc makes the container with nobody waiting for the Create
        containerd.restart();
        // the shim finished the Create on its own: containerd finds the task and removes it
        ctr.awaitTaskStatus("victim", "CREATED", TIMEOUT);
        removeEverything(ctr, "victim");
        NoLeftovers.assertNothingLeft(ctr, List.of("victim"), List.of(socket));
    }

    @Test
    void aFailingRuncFailsTheRunWithRuncsOwnWordsAndLeavesNothing(Ctr ctr) {
        runc.fail("create", "fault: cannot frobnicate the widget");
        CtrResult run = ctr.runDetached("victim", "sleep", "600");
        assertFalse(run.succeeded(), run::describe);
        assertTrue(run.stderr().contains("OCI runtime create failed") && run.stderr().contains("cannot frobnicate the widget"),
                run::describe);
        removeEverything(ctr, "victim");
        NoLeftovers.assertNothingLeft(ctr, List.of("victim"), List.of());
    }

    /**
     * The runc the runtime options name (here through a runtime config file, as a CRI runtime handler's
     * {@code ConfigPath} names it) is not there: the Create fails naming it, and the Stop path, which runs the same
     * runc, still takes down everything the Create made.
     */
    @Test
    void aMissingRuncFailsTheRunNamingTheBinaryAndLeavesNothing(Ctr ctr) throws Exception {
        Path missing = ctr.containerd().bin().resolve("no-such-runc");
        Path config = Files.writeString(ctr.containerd().dir().resolve("missing-runc.toml"),
                "BinaryName = \"" + missing + "\"\n");
        CtrResult run = ctr.run(List.of("-d", "--runtime-config-path", config.toString()), "victim", "sleep", "600");
        assertFalse(run.succeeded(), run::describe);
        assertTrue(run.stderr().contains("OCI runtime create failed") && run.stderr().contains(missing.toString()),
                run::describe);
        removeEverything(ctr, "victim");
        NoLeftovers.assertNothingLeft(ctr, List.of("victim"), List.of());
    }

    @Test
    void aHangingRuncIsKilledBeforeTheCallersDeadlineWithAnErrorThatSaysSo(Ctr ctr) throws Exception {
        runc.hang("create");
        // ctr's --timeout is the Create call's deadline; the shim kills runc 1 s before it runs out and answers.
        // Whether that answer gets through containerd to ctr within the last second depends on the machine's load,
        // so the shim's answer is read where it is logged, in containerd's log (the shim's log is its FIFO), and
        // ctr may have said either that answer or its own deadline.
        CtrResult run = ctr.containerd().ctr(TIMEOUT, "--timeout", "10s", "-n", ctr.namespace(), "run", "-d",
                "--runtime", ctr.shim().runtime(), BusyboxImage.REF, "victim", "sleep", "600");
        assertFalse(run.succeeded(), run::describe);
        assertTrue(Poll.until(TIMEOUT, () -> ctr.containerd().logTail(5000).lines().anyMatch(l -> l.contains(ctr.namespace()) &&
                        l.contains("Create answered") && l.contains("did not finish within") && l.contains("killed it"))),
                () -> "the shim's answer to Create does not say runc was killed; ctr: " + run.describe());
        assertTrue(run.stderr().contains("killed it") || run.stderr().contains("deadline exceeded"), run::describe);
        long hung = runc.awaitHeld("create");
        assertTrue(Poll.until(TIMEOUT, () -> ProcessHandle.of(hung).map(p -> !p.isAlive()).orElse(true)),
                "the hung runc " + hung + " was killed");
        removeEverything(ctr, "victim");
        NoLeftovers.assertNothingLeft(ctr, List.of("victim"), List.of());
    }

    /**
     * containerd holds the read end of the bundle's {@code log} FIFO, the shim's stderr. With containerd gone the
     * shim's log writes find no reader: it keeps serving, records its task's exit, and the restarted containerd
     * (which opens the FIFO again) sees the task stopped and removes it (1.6), or deletes it on reload through the
     * same shim, which answers its calls (1.7 on).
     */
    @Test
    void theShimOutlivesTheReaderOfItsLogFifo(Ctr ctr) throws Exception {
        PrivateContainerd containerd = ctr.containerd();
        ctr.runDetached("logger", "sleep", "600").requireSuccess();
        Ctr.Task task = ctr.awaitTaskStatus("logger", "RUNNING", TIMEOUT);
        Path socket = TaskLifecycleIT.Residue.socketOf(ctr, "logger");
        List<Long> shims = TaskLifecycleIT.Residue.shimDaemons(ctr);
        containerd.kill9();
        // the exit goes unforwarded: the shim logs each failed attempt into the FIFO nobody reads
        ProcessHandle.of(task.pid()).orElseThrow().destroyForcibly();
        assertTrue(Poll.until(TIMEOUT, () -> ProcessHandle.of(task.pid()).isEmpty()), "the init was reaped");
        assertTrue(shims.stream().allMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)),
                "the shim died with its log reader");
        containerd.restart();
        if (containerd.release().deletesTasksThatDiedWhileItWasDown()) {
            // 1.7 on: the reloaded task has no process left, so containerd deletes it through the same shim
            assertTrue(Poll.until(TIMEOUT, () -> ctr.task("logger").isEmpty()), () -> "still listed: " + ctr.task("logger"));
        } else {
            ctr.awaitTaskStatus("logger", "STOPPED", TIMEOUT);
            assertEquals(shims, TaskLifecycleIT.Residue.shimDaemons(ctr), "the same shim serves it");
        }
        removeEverything(ctr, "logger");
        NoLeftovers.assertNothingLeft(ctr, List.of("logger"), List.of(socket));
    }

    /** Waits until the runc a fault held has exited (with the shim that ran it gone, nobody reaps it but init). */
    private static void awaitGone(long pid) throws InterruptedException {
        assertTrue(Poll.until(TIMEOUT, () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)
                && !DoctorCrashIT.running(pid)), "runc " + pid + " still runs");
    }

    /** SIGKILLs the one shim daemon serving this namespace. */
    private static void killShimOf(Ctr ctr) throws InterruptedException {
        List<Long> shims = TaskLifecycleIT.Residue.shimDaemons(ctr);
        assertEquals(1, shims.size(), "shim daemons: " + shims);
        DoctorCrashIT.killShim(shims.getFirst());
    }

    /** What a user does after a failure: remove the task (if containerd still has one) and the container. */
    static void removeEverything(Ctr ctr, String id) {
        if (ctr.task(id).isPresent()) ctr.ctr("task", "rm", "-f", id).requireSuccess();
        CtrResult rm = ctr.ctr("container", "rm", id);
        assertTrue(rm.succeeded() || rm.stderr().contains("not found"), rm::describe);
    }
}
