package jrunc.core.task;

import java.io.IOException;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import jrunc.core.stdio.ProcessIO;
import jrunc.core.stdio.Stdio;
import jrunc.core.stdio.WindowSize;
import jrunc.proto.types.Status;

/**
 * A container process as the Task service tracks it: the init or an exec, each answering every operation in every
 * state (containerd v1.6.20 {@code pkg/process/process.go}). Its state, pid and stdio are guarded by the owning
 * {@link Container}'s lock, which each operation takes itself; {@link #exited()} may be awaited without it (that is
 * what Wait does).
 */
abstract sealed class Process permits InitProcess, ExecProcess {
    private final Container container;
    private final Stdio stdio;
    /** Completed once, with the exit status and time, when the process stops (or is deleted never having run). */
    private final CompletableFuture<ProcessState> exited = new CompletableFuture<>();
    private ProcessState state; // guarded by container.lock()
    private int pid; // guarded by container.lock()
    private ProcessIO io = ProcessIO.NullIO.INSTANCE; // guarded by container.lock()
    private WindowSize size; // guarded by container.lock(): the last ResizePty, kept for a terminal not made yet

    Process(Container container, Stdio stdio, ProcessState initial) {
        this.container = container;
        this.stdio = stdio;
        this.state = initial;
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

    /** The state containerd should see. */
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

    /** The window size asked for so far, or null. Caller holds the lock. */
    WindowSize windowSize() {
        container.assertLocked();
        return size;
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
     * then publishes nothing, so each process gets at most one {@code /tasks/exit}. Caller holds the lock.
     */
    boolean recordExit(int status, Instant at) {
        ProcessState before = state();
        ProcessState after = before.exited(status, at);
        if (after == before) return false;
        transition(after);
        io.closeStdin();
        return true;
    }

    /**
     * Runs on the exit thread before the exit is recorded and published, without the lock: what must be done
     * first for nothing of the process to outlive its {@code /tasks/exit}.
     */
    void settleBeforeExit() {}

    /** CloseIO: the process sees EOF on stdin once the client closes its end. */
    void closeStdin() {
        container.lock();
        try {
            io.closeStdin();
        } finally {
            container.unlock();
        }
    }

    /**
     * ResizePty. A size that comes before the terminal exists (a created exec, or a Start still waiting for runc's
     * pty) is kept and set as soon as the terminal is there. A process without a terminal ignores it (containerd's
     * Resize).
     */
    void resize(WindowSize requested) throws TaskException {
        container.lock();
        try {
            refuseResize(state);
            size = requested;
            io.resize(requested);
        } catch (IOException e) {
            throw TaskException.unknown("failed to resize pty: " + e.getMessage(), e);
        } finally {
            container.unlock();
        }
    }

    /** Whether {@code current} takes a new window size; the init takes one in any state, as containerd's. */
    abstract void refuseResize(ProcessState current) throws TaskException;

    /** Kill: sends {@code signal} (to every process of the container with {@code all}, for the init). */
    abstract void kill(int signal, boolean all, long deadlineNanos) throws TaskException;

    /** Delete: forgets a process that does not run; returns the deleted state, exit status and time included. */
    abstract ProcessState delete(long deadlineNanos) throws TaskException;
}
