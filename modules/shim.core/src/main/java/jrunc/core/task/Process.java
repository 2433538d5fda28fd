package jrunc.core.task;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import jrunc.core.stdio.ProcessIO;
import jrunc.core.stdio.Stdio;
import jrunc.proto.types.Status;

/**
 * A container process as the Task service tracks it: the init or an exec. Its state, pid and stdio are guarded by
 * the owning {@link Container}'s lock; {@link #exited()} may be awaited without it (that is what Wait does).
 */
abstract sealed class Process permits InitProcess, ExecProcess {
    private final Container container;
    private final Stdio stdio;
    /** Completed once, with the exit status and time, when the process stops (or is deleted never having run). */
    private final CompletableFuture<ProcessState> exited = new CompletableFuture<>();
    private ProcessState state = new ProcessState.Created(); // guarded by container.lock()
    private int pid; // guarded by container.lock()
    private ProcessIO io = ProcessIO.NullIO.INSTANCE; // guarded by container.lock()

    Process(Container container, Stdio stdio) {
        this.container = container;
        this.stdio = stdio;
    }

    Container container() {
        return container;
    }

    /** The id containerd knows this process by in events: the container id for the init, else the exec id. */
    abstract String id();

    /** "" for the init. */
    abstract String execId();

    Stdio stdio() {
        return stdio;
    }

    ProcessState state() {
        container.assertLocked();
        return state;
    }

    /** The state containerd should see; an exec reports its container's pause. */
    Status status() {
        return state().status();
    }

    int pid() {
        container.assertLocked();
        return pid;
    }

    ProcessIO io() {
        container.assertLocked();
        return io;
    }

    CompletableFuture<ProcessState> exited() {
        return exited;
    }

    /** runc has made the process: it has a pid and its stdio is wired. */
    void attach(int pid, ProcessIO io) {
        container.assertLocked();
        this.pid = pid;
        this.io = io;
    }

    void transition(ProcessState next) {
        container.assertLocked();
        this.state = next;
        if (next instanceof ProcessState.Stopped || next instanceof ProcessState.Deleted) exited.complete(next);
    }

    /**
     * The reaper saw this process exit. Records status and time, closes the stdin hold (nothing will read it now),
     * wakes Wait callers. Returns false if the exit was already recorded (or the process was deleted): the caller
     * then publishes nothing, so each process gets at most one {@code /tasks/exit}.
     */
    boolean recordExit(int status, Instant at) {
        ProcessState before = state();
        ProcessState after = before.exited(status, at);
        if (after == before) return false;
        transition(after);
        io.closeStdin();
        return true;
    }
}
