package jrunc.core.task;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import jrunc.core.fake.FakeOperatingSystem;
import jrunc.core.fake.FakeRunc;
import jrunc.core.runc.CriuOptions;
import jrunc.core.runc.Runc;
import jrunc.core.runc.RuncOptions;
import jrunc.core.stdio.ProcessIO;
import jrunc.core.stdio.Stdio;
import jrunc.core.stdio.WindowSize;
import jrunc.core.task.ProcessState.*;
import jrunc.core.ttrpc.Code;
import jrunc.proto.runc.Options;
import jrunc.proto.types.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each operation of the init and of an exec in each state: a legal one runs its runc command and moves to its next
 * state, an illegal one refuses with containerd's words and a code chosen on purpose (containerd v1.6.20
 * pkg/process/init_state.go, exec_state.go, deleted_state.go).
 */
class ProcessTransitionsTest {
    private static final Instant AT = Instant.parse("2024-05-01T10:00:00Z");
    private static final long NO_DEADLINE = Long.MAX_VALUE;
    private static final CriuOptions RESTORE = CriuOptions.restoreFrom("/images/1", "", "");

    @TempDir
    Path dir;
    private FakeOperatingSystem os;
    private FakeRunc runc;
    private ExitRouter exits;
    private Container container;

    @BeforeEach
    void setUp() throws Exception {
        os = new FakeOperatingSystem();
        runc = new FakeRunc(os);
        os.reaper.script(runc);
        exits = new ExitRouter(os.reaper(), (p, e) -> {});
        Files.writeString(dir.resolve("config.json"), "{}");
    }

    @AfterEach
    void tearDown() {
        exits.close();
    }

    private InitProcess init(ProcessState state) {
        TaskHost host = new TaskHost(os, exits, dir);
        container = new Container(host, "c1", dir, "default",
                Runc.forContainer(os, RuncOptions.of(Options.getDefaultInstance()), "default", dir, dir), null, false,
                new ProcessIO.Owner(0, 0, "c1", "default"),
                new InitProcess.Spec(new Stdio("", "", "", false), new Created(), false));
        InitProcess init = container.init();
        set(init, state);
        return init;
    }

    private ExecProcess exec(ProcessState state) throws TaskException {
        init(new Running());
        ExecProcess exec = new ExecProcess(container, "e1", new Stdio("", "", "", false),
                "{\"args\":[\"true\"]}".getBytes());
        set(exec, state);
        return exec;
    }

    private void set(Process p, ProcessState state) {
        container.lock();
        try {
            p.transition(state);
            if (!(state instanceof Created) && !(state instanceof CreatedFromCheckpoint)) p.attach(4321, ProcessIO.NullIO.INSTANCE);
        } finally {
            container.unlock();
        }
    }

    private ProcessState stateOf(Process p) {
        container.lock();
        try {
            return p.state();
        } finally {
            container.unlock();
        }
    }

    @FunctionalInterface
    interface Operation {
        void apply(ProcessTransitionsTest t) throws TaskException;
    }

    record Refusal(String name, Operation operation, Code code, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Refusal onInit(String name, ProcessState state, InitOp op, Code code, String message) {
        return new Refusal("init: " + name, t -> op.apply(t.init(state)), code, message);
    }

    private static Refusal onExec(String name, ProcessState state, ExecOp op, Code code, String message) {
        return new Refusal("exec: " + name, t -> op.apply(t.exec(state)), code, message);
    }

    @FunctionalInterface
    interface InitOp {
        void apply(InitProcess p) throws TaskException;
    }

    @FunctionalInterface
    interface ExecOp {
        void apply(ExecProcess p) throws TaskException;
    }

    static Stream<Refusal> refusals() {
        ProcessState created = new Created(), restoring = new CreatedFromCheckpoint(RESTORE), running = new Running(),
                paused = new Paused(), stopped = new Stopped(1, AT), deleted = new Deleted(1, AT);
        Code fp = Code.FAILED_PRECONDITION, nf = Code.NOT_FOUND;
        InitOp start = p -> p.start(NO_DEADLINE, () -> {}), delete = p -> p.delete(NO_DEADLINE),
                pause = p -> p.pause(NO_DEADLINE), resume = p -> p.resume(NO_DEADLINE),
                update = p -> p.update("{}".getBytes(), NO_DEADLINE), kill = p -> p.kill(9, false, NO_DEADLINE),
                checkpoint = p -> p.checkpoint(new Checkpoints.Request("/img",
                        jrunc.proto.runc.CheckpointOptions.getDefaultInstance()), NO_DEADLINE),
                exec = p -> {
                    p.container().lock();
                    try {
                        p.checkExec();
                    } finally {
                        p.container().unlock();
                    }
                };
        ExecOp execStart = p -> p.start(NO_DEADLINE, pid -> {}), execDelete = p -> p.delete(NO_DEADLINE),
                execKill = p -> p.kill(15, false, NO_DEADLINE), execResize = p -> p.resize(new WindowSize(80, 24));
        return Stream.of(
                onInit("start running", running, start, fp, "cannot start a running process"),
                onInit("start paused", paused, start, fp, "cannot start a paused process"),
                onInit("start stopped", stopped, start, fp, "cannot start a stopped process"),
                onInit("start deleted", deleted, start, fp, "cannot start a deleted process"),
                onInit("delete running", running, delete, fp, "cannot delete a running process"),
                onInit("delete paused", paused, delete, fp, "cannot delete a paused process"),
                onInit("delete deleted", deleted, delete, nf, "cannot delete a deleted process"),
                onInit("kill deleted", deleted, kill, nf, "cannot kill a deleted process"),
                onInit("pause created", created, pause, fp, "cannot pause task in created state"),
                onInit("pause restoring", restoring, pause, fp, "cannot pause task in created state"),
                onInit("pause paused", paused, pause, fp, "cannot pause a paused container"),
                onInit("pause stopped", stopped, pause, fp, "cannot pause a stopped container"),
                onInit("pause deleted", deleted, pause, fp, "cannot pause a deleted process"),
                onInit("resume running", running, resume, fp, "cannot resume a running process"),
                onInit("resume created", created, resume, fp, "cannot resume task in created state"),
                onInit("resume stopped", stopped, resume, fp, "cannot resume a stopped container"),
                onInit("update stopped", stopped, update, fp, "cannot update a stopped container"),
                onInit("update deleted", deleted, update, fp, "cannot update a deleted process"),
                onInit("checkpoint created", created, checkpoint, fp, "cannot checkpoint a task in created state"),
                onInit("checkpoint stopped", stopped, checkpoint, fp, "cannot checkpoint a stopped container"),
                onInit("checkpoint deleted", deleted, checkpoint, fp, "cannot checkpoint a deleted process"),
                onInit("exec in restoring", restoring, exec, fp, "cannot exec in a created state"),
                onInit("exec in paused", paused, exec, fp, "cannot exec in a paused state"),
                onInit("exec in stopped", stopped, exec, fp, "cannot exec in a stopped state"),
                onExec("start running", running, execStart, fp, "cannot start a running process"),
                onExec("start stopped", stopped, execStart, fp, "cannot start a stopped process"),
                onExec("start deleted", deleted, execStart, fp, "cannot start a deleted process"),
                onExec("delete running", running, execDelete, fp, "cannot delete a running process"),
                onExec("delete deleted", deleted, execDelete, nf, "cannot delete a deleted process"),
                onExec("kill stopped", stopped, execKill, nf, "process already finished"),
                onExec("kill deleted", deleted, execKill, nf, "cannot kill a deleted process"),
                onExec("kill created", created, execKill, fp, "process not created"),
                onExec("resize stopped", stopped, execResize, fp, "cannot resize a stopped container"),
                onExec("resize deleted", deleted, execResize, fp, "cannot resize a deleted process"));
    }

    @ParameterizedTest
    @MethodSource("refusals")
    void illegalOperationsAreRefusedWithTheirCodeAndRunNoRunc(Refusal r) {
        TaskException e = assertThrows(TaskException.class, () -> r.operation().apply(this));
        assertEquals(r.code(), e.code());
        assertEquals(r.message(), e.getMessage());
        assertEquals(List.of(), runc.commands(), "runc must not run for a refusal");
    }

    @Test
    void startOfACreatedInitRunsRuncStartAndRuns() throws Exception {
        InitProcess init = init(new Created());
        set(init, new Created());
        assertEquals(0, init.start(NO_DEADLINE, () -> {}));
        assertTrue(runc.ran("start", "c1"));
        assertEquals(new Running(), stateOf(init));
    }

    @Test
    void pauseAndResumeRunRuncAndMoveBetweenRunningAndPaused() throws Exception {
        InitProcess init = init(new Running());
        init.pause(NO_DEADLINE);
        assertTrue(runc.ran("pause", "c1"));
        assertEquals(Status.PAUSED, stateOf(init).status());
        init.resume(NO_DEADLINE);
        assertTrue(runc.ran("resume", "c1"));
        assertEquals(new Running(), stateOf(init));
    }

    @Test
    void killOfAStoppedInitStillReachesRuncSoThatKillAllEndsWhatItLeft() throws Exception {
        InitProcess init = init(new Stopped(0, AT));
        init.kill(9, true, NO_DEADLINE);
        assertTrue(runc.ran("kill", "--all", "c1", "9"));
        runc.failures.put("kill", "container not running");
        TaskException e = assertThrows(TaskException.class, () -> init.kill(15, false, NO_DEADLINE));
        assertEquals(Code.NOT_FOUND, e.code());
        assertEquals("process already finished", e.getMessage());
    }

    @Test
    void deleteOfAStoppedInitRunsRuncDeleteAndKeepsTheExitStatus() throws Exception {
        InitProcess init = init(new Stopped(3, AT));
        assertEquals(new Deleted(3, AT), init.delete(NO_DEADLINE));
        assertTrue(runc.ran("delete", "c1"));
        assertEquals(new Deleted(3, AT), stateOf(init));
    }

    @Test
    void aRuncDeleteFailureLeavesTheStateAsItWas() {
        InitProcess init = init(new Stopped(3, AT));
        runc.failures.put("delete", "permission denied");
        TaskException e = assertThrows(TaskException.class, () -> init.delete(NO_DEADLINE));
        assertEquals("failed to delete task: permission denied", e.getMessage());
        assertEquals(new Stopped(3, AT), stateOf(init));
    }

    @Test
    void anExecKillSignalsItsOwnPid() throws Exception {
        ExecProcess exec = exec(new Running());
        exec.kill(15, false, NO_DEADLINE);
        assertEquals(List.of(new FakeOperatingSystem.Signal(4321, 15)), os.signals);
        os.gonePids.add(4321);
        assertEquals(Code.NOT_FOUND, assertThrows(TaskException.class, () -> exec.kill(9, false, NO_DEADLINE)).code());
    }

    @Test
    void aDeletedExecKeepsItsExitStatus() throws Exception {
        ExecProcess exec = exec(new Stopped(4, AT));
        assertEquals(new Deleted(4, AT), exec.delete(NO_DEADLINE));
    }

    @Test
    void anExitIsRecordedOnce() {
        ProcessState stopped = new Running().exited(1, AT);
        assertSame(stopped, stopped.exited(2, AT.plusSeconds(1)));
        ProcessState deleted = new Deleted(1, AT);
        assertSame(deleted, deleted.exited(9, AT));
        assertEquals(new Stopped(5, AT), new CreatedFromCheckpoint(RESTORE).exited(5, AT));
    }

    @Test
    void onlyExitedStatesCarryExitStatusAndADeletedOneReadsStopped() {
        assertEquals(0, new Running().exitStatus());
        assertNull(new Running().exitedAt());
        assertEquals(3, new Stopped(3, AT).exitStatus());
        assertEquals(Status.STOPPED, new Deleted(3, AT).status());
        assertEquals(Status.CREATED, new CreatedFromCheckpoint(RESTORE).status());
    }
}
