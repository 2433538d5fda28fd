package jrunc.core.task;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Instant;
import java.util.stream.Stream;
import jrunc.core.ttrpc.Code;
import jrunc.proto.types.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ProcessStateTest {
    private static final Instant AT = Instant.parse("2024-05-01T10:00:00Z");

    @FunctionalInterface
    interface Operation {
        void apply(ProcessState s) throws TaskException;
    }

    record Refusal(String name, ProcessState state, Operation operation, Code code, String message) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Refusal> refusals() {
        ProcessState created = new ProcessState.Created(), running = new ProcessState.Running(),
                paused = new ProcessState.Paused(), stopped = new ProcessState.Stopped(1, AT),
                deleted = new ProcessState.Deleted(1, AT);
        return Stream.of(
                new Refusal("start running", running, ProcessState::start, Code.FAILED_PRECONDITION, "cannot start a running process"),
                new Refusal("start paused", paused, ProcessState::start, Code.FAILED_PRECONDITION, "cannot start a paused process"),
                new Refusal("start stopped", stopped, ProcessState::start, Code.FAILED_PRECONDITION, "cannot start a stopped process"),
                new Refusal("start deleted", deleted, ProcessState::start, Code.FAILED_PRECONDITION, "cannot start a deleted process"),
                new Refusal("kill stopped", stopped, ProcessState::checkKill, Code.NOT_FOUND, "process already finished"),
                new Refusal("kill deleted", deleted, ProcessState::checkKill, Code.NOT_FOUND, "process already finished"),
                new Refusal("delete running", running, ProcessState::delete, Code.FAILED_PRECONDITION, "cannot delete a running process"),
                new Refusal("delete paused", paused, ProcessState::delete, Code.FAILED_PRECONDITION, "cannot delete a paused process"),
                new Refusal("delete deleted", deleted, ProcessState::delete, Code.FAILED_PRECONDITION, "cannot delete a deleted process"),
                new Refusal("pause created", created, ProcessState::pause, Code.FAILED_PRECONDITION, "cannot pause task in created state"),
                new Refusal("pause paused", paused, ProcessState::pause, Code.FAILED_PRECONDITION, "cannot pause a paused process"),
                new Refusal("pause stopped", stopped, ProcessState::pause, Code.FAILED_PRECONDITION, "cannot pause a stopped container"),
                new Refusal("resume running", running, ProcessState::resume, Code.FAILED_PRECONDITION, "cannot resume a running process"),
                new Refusal("resume created", created, ProcessState::resume, Code.FAILED_PRECONDITION, "cannot resume task in created state"),
                new Refusal("exec in paused", paused, ProcessState::checkExec, Code.FAILED_PRECONDITION, "cannot exec in a paused state"),
                new Refusal("exec in stopped", stopped, ProcessState::checkExec, Code.FAILED_PRECONDITION, "cannot exec in a stopped state"),
                new Refusal("update stopped", stopped, ProcessState::checkUpdate, Code.FAILED_PRECONDITION, "cannot update a stopped container"));
    }

    @ParameterizedTest
    @MethodSource("refusals")
    void illegalOperationsAreRefusedWithTheirCode(Refusal r) {
        TaskException e = assertThrows(TaskException.class, () -> r.operation().apply(r.state()));
        assertEquals(r.code(), e.code());
        assertEquals(r.message(), e.getMessage());
    }

    @Test
    void legalTransitions() throws TaskException {
        ProcessState created = new ProcessState.Created();
        assertEquals(Status.CREATED, created.status());
        ProcessState running = created.start();
        assertEquals(Status.RUNNING, running.status());
        ProcessState paused = running.pause();
        assertEquals(Status.PAUSED, paused.status());
        assertEquals(Status.RUNNING, paused.resume().status());
        ProcessState stopped = paused.exited(137, AT);
        assertEquals(new ProcessState.Stopped(137, AT), stopped);
        assertEquals(new ProcessState.Deleted(137, AT), stopped.delete());
        assertEquals(new ProcessState.Deleted(0, null), created.delete(), "a created process may be deleted");
        created.checkKill();
        running.checkExec();
        created.checkExec();
    }

    @Test
    void anExitIsRecordedOnce() {
        ProcessState stopped = new ProcessState.Running().exited(1, AT);
        assertSame(stopped, stopped.exited(2, AT.plusSeconds(1)));
        ProcessState deleted = new ProcessState.Deleted(1, AT);
        assertSame(deleted, deleted.exited(9, AT));
    }

    @Test
    void onlyExitedStatesCarryExitStatus() throws TaskException {
        assertEquals(0, new ProcessState.Running().exitStatus());
        assertNull(new ProcessState.Running().exitedAt());
        assertEquals(3, new ProcessState.Stopped(3, AT).exitStatus());
        assertEquals(AT, new ProcessState.Stopped(3, AT).delete().exitedAt());
    }
}
