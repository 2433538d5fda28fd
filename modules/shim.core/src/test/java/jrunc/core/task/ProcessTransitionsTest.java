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

    /** A state of the init or of an exec, as the matrix names it. */
    enum State {
        CREATED(new Created()), RESTORING(new CreatedFromCheckpoint(RESTORE)), RUNNING(new Running()),
        PAUSED(new Paused()), STOPPED(new Stopped(1, AT)), DELETED(new Deleted(1, AT));

        final ProcessState value;

        State(ProcessState value) {
            this.value = value;
        }
    }

    /** Every operation containerd's Task API can ask of the init, and of an exec. */
    enum InitOp { START, DELETE, PAUSE, RESUME, UPDATE, KILL, CHECKPOINT, EXEC, RESIZE }

    enum ExecOp { START, DELETE, KILL, RESIZE }

    /** The states an exec takes: it never is paused or restored itself (it reports its container's pause). */
    private static final List<State> EXEC_STATES = List.of(State.CREATED, State.RUNNING, State.STOPPED, State.DELETED);

    /**
     * What one operation does in one state: refused with a code and containerd's words, running no runc; or done,
     * running {@code runc} (null: none) and leaving the process in {@code next} (null: where it was).
     */
    record Outcome(Code code, String message, String runc, ProcessState next) {
        static Outcome refused(Code code, String message) {
            return new Outcome(code, message, null, null);
        }

        static Outcome done(String runc, ProcessState next) {
            return new Outcome(null, null, runc, next);
        }
    }

    private static final Code FP = Code.FAILED_PRECONDITION, NF = Code.NOT_FOUND;

    /** The whole matrix for the init (containerd v1.6.20 pkg/process/init_state.go, deleted_state.go). */
    static Outcome init(State s, InitOp op) {
        String state = s.name().toLowerCase(java.util.Locale.ROOT);
        return switch (op) {
            case START -> switch (s) {
                case CREATED -> Outcome.done("start", new Running());
                case RESTORING -> Outcome.done("restore", new Running());
                default -> Outcome.refused(FP, "cannot start a " + state + " process");
            };
            case DELETE -> switch (s) {
                case CREATED, RESTORING -> Outcome.done("delete", new Deleted(0, null));
                case STOPPED -> Outcome.done("delete", new Deleted(1, AT));
                case DELETED -> Outcome.refused(NF, "cannot delete a deleted process");
                default -> Outcome.refused(FP, "cannot delete a " + state + " process");
            };
            case PAUSE -> switch (s) {
                case RUNNING -> Outcome.done("pause", new Paused());
                case CREATED, RESTORING -> Outcome.refused(FP, "cannot pause task in created state");
                case DELETED -> Outcome.refused(FP, "cannot pause a deleted process");
                default -> Outcome.refused(FP, "cannot pause a " + state + " container");
            };
            case RESUME -> switch (s) {
                case PAUSED -> Outcome.done("resume", new Running());
                case CREATED, RESTORING -> Outcome.refused(FP, "cannot resume task in created state");
                case RUNNING -> Outcome.refused(FP, "cannot resume a running process");
                case DELETED -> Outcome.refused(FP, "cannot resume a deleted process");
                default -> Outcome.refused(FP, "cannot resume a " + state + " container");
            };
            case UPDATE -> switch (s) {
                case STOPPED -> Outcome.refused(FP, "cannot update a stopped container");
                case DELETED -> Outcome.refused(FP, "cannot update a deleted process");
                default -> Outcome.done("update", null);
            };
            // runc is asked even for a stopped init: kill --all ends what it left behind
            case KILL -> s == State.DELETED ? Outcome.refused(NF, "cannot kill a deleted process") : Outcome.done("kill", null);
            case CHECKPOINT -> switch (s) {
                case RUNNING, PAUSED -> Outcome.done("checkpoint", null);
                case CREATED, RESTORING -> Outcome.refused(FP, "cannot checkpoint a task in created state");
                case DELETED -> Outcome.refused(FP, "cannot checkpoint a deleted process");
                default -> Outcome.refused(FP, "cannot checkpoint a stopped container");
            };
            case EXEC -> switch (s) {
                case CREATED, RUNNING -> Outcome.done(null, null);
                case RESTORING -> Outcome.refused(FP, "cannot exec in a created state");
                default -> Outcome.refused(FP, "cannot exec in a " + state + " state");
            };
            // the init takes a window size in every state, as containerd's Init.Resize
            case RESIZE -> Outcome.done(null, null);
        };
    }

    /** The whole matrix for an exec (containerd v1.6.20 pkg/process/exec_state.go, deleted_state.go). */
    static Outcome exec(State s, ExecOp op) {
        String state = s.name().toLowerCase(java.util.Locale.ROOT);
        return switch (op) {
            case START -> s == State.CREATED ? Outcome.done("exec", new Running())
                    : Outcome.refused(FP, "cannot start a " + state + " process");
            case DELETE -> switch (s) {
                case CREATED -> Outcome.done(null, new Deleted(0, null));
                case STOPPED -> Outcome.done(null, new Deleted(1, AT));
                case DELETED -> Outcome.refused(NF, "cannot delete a deleted process");
                default -> Outcome.refused(FP, "cannot delete a running process");
            };
            case KILL -> switch (s) {
                case CREATED -> Outcome.refused(FP, "process not created");
                case STOPPED -> Outcome.refused(NF, "process already finished");
                case DELETED -> Outcome.refused(NF, "cannot kill a deleted process");
                default -> Outcome.done(null, null); // kill(2) of its own pid, checked below
            };
            case RESIZE -> switch (s) {
                case STOPPED -> Outcome.refused(FP, "cannot resize a stopped container");
                case DELETED -> Outcome.refused(FP, "cannot resize a deleted process");
                default -> Outcome.done(null, null);
            };
        };
    }

    record Pair(String kind, State state, String op, Outcome expected) {
        @Override
        public String toString() {
            return kind + " " + op.toLowerCase(java.util.Locale.ROOT) + " in " + state.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Every state of each kind of process with every operation: 6 × 9 for the init, 4 × 4 for an exec. */
    static Stream<Pair> everyPair() {
        Stream<Pair> inits = Stream.of(State.values()).flatMap(s -> Stream.of(InitOp.values())
                .map(op -> new Pair("init", s, op.name(), init(s, op))));
        Stream<Pair> execs = EXEC_STATES.stream().flatMap(s -> Stream.of(ExecOp.values())
                .map(op -> new Pair("exec", s, op.name(), exec(s, op))));
        return Stream.concat(inits, execs);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyPair")
    void everyStateAnswersEveryOperation(Pair pair) throws Exception {
        Files.createDirectories(dir.resolve("work"));
        Process process = pair.kind().equals("init") ? init(pair.state().value) : exec(pair.state().value);
        Operation op = () -> {
            if (process instanceof InitProcess init) apply(init, InitOp.valueOf(pair.op()));
            else apply((ExecProcess) process, ExecOp.valueOf(pair.op()));
        };
        Outcome want = pair.expected();
        if (want.code() != null) {
            TaskException e = assertThrows(TaskException.class, op::run);
            assertEquals(want.code(), e.code());
            assertEquals(want.message(), e.getMessage());
            assertEquals(List.of(), runc.commands(), "runc must not run for a refusal");
            assertEquals(pair.state().value, stateOf(process), "a refusal changes nothing");
            return;
        }
        op.run();
        List<String> commands = runc.commands().stream().map(FakeRunc::commandOf).toList();
        assertEquals(want.runc() == null ? List.of() : List.of(want.runc()), commands, "runc commands");
        assertEquals(want.next() == null ? pair.state().value : want.next(), stateOf(process));
        if (pair.kind().equals("exec") && pair.op().equals("KILL")) {
            assertEquals(List.of(new FakeOperatingSystem.Signal(4321, 15)), os.signals, "an exec kill signals its own pid");
        }
    }

    @FunctionalInterface
    interface Operation {
        void run() throws TaskException;
    }

    private static void apply(InitProcess p, InitOp op) throws TaskException {
        switch (op) {
            case START -> p.start(NO_DEADLINE, () -> {});
            case DELETE -> p.delete(NO_DEADLINE);
            case PAUSE -> p.pause(NO_DEADLINE);
            case RESUME -> p.resume(NO_DEADLINE);
            case UPDATE -> p.update("{}".getBytes(), NO_DEADLINE);
            case KILL -> p.kill(9, false, NO_DEADLINE);
            case CHECKPOINT -> p.checkpoint(new Checkpoints.Request("/img",
                    jrunc.proto.runc.CheckpointOptions.getDefaultInstance()), NO_DEADLINE);
            case EXEC -> {
                p.container().lock();
                try {
                    p.checkExec();
                } finally {
                    p.container().unlock();
                }
            }
            case RESIZE -> p.resize(new WindowSize(80, 24));
        }
    }

    private static void apply(ExecProcess p, ExecOp op) throws TaskException {
        switch (op) {
            case START -> p.start(NO_DEADLINE, pid -> {});
            case DELETE -> p.delete(NO_DEADLINE);
            case KILL -> p.kill(15, false, NO_DEADLINE);
            case RESIZE -> p.resize(new WindowSize(80, 24));
        }
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
