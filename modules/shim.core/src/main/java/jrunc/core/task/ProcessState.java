package jrunc.core.task;

import java.time.Instant;
import jrunc.proto.types.Status;

/**
 * The life of a container process (init or exec), one object per state, each answering every operation: a legal
 * call returns the next state, an illegal one throws the refusal with a code chosen on purpose. Mirrors
 * {@code pkg/process/init_state.go} and {@code exec_state.go} (containerd v1.6.20), whose refusals are mostly
 * plain errors (UNKNOWN); here they are FAILED_PRECONDITION, except "already finished", which containerd itself
 * classifies as NOT_FOUND and treats as "done" when it kills.
 *
 * <p>States are values; the owning {@link Process} holds the current one under its container's lock.
 */
sealed interface ProcessState {

    Status status();

    /** runc start / runc exec succeeded. */
    ProcessState start() throws TaskException;

    /** May a signal be sent? */
    void checkKill() throws TaskException;

    ProcessState pause() throws TaskException;

    ProcessState resume() throws TaskException;

    /** Delete: only a process that is not running can be forgotten. */
    ProcessState delete() throws TaskException;

    /** Asked of the init: may an exec be added to its container? */
    void checkExec() throws TaskException;

    void checkUpdate() throws TaskException;

    /** The reaper saw the process exit. Idempotent: a process that already exited keeps its first status. */
    ProcessState exited(int status, Instant at);

    /** Exit status and time, or 0 and null while the process has not exited. */
    default int exitStatus() {
        return 0;
    }

    default Instant exitedAt() {
        return null;
    }

    /** Created by runc (or recorded, for an exec), not started yet. */
    record Created() implements ProcessState {
        public Status status() { return Status.CREATED; }
        public ProcessState start() { return new Running(); }
        public void checkKill() {}
        public ProcessState pause() throws TaskException {
            throw TaskException.failedPrecondition("cannot pause task in created state");
        }
        public ProcessState resume() throws TaskException {
            throw TaskException.failedPrecondition("cannot resume task in created state");
        }
        public ProcessState delete() { return new Deleted(0, null); }
        public void checkExec() {}
        public void checkUpdate() {}
        public ProcessState exited(int status, Instant at) { return new Stopped(status, at); }
    }

    record Running() implements ProcessState {
        public Status status() { return Status.RUNNING; }
        public ProcessState start() throws TaskException {
            throw TaskException.failedPrecondition("cannot start a running process");
        }
        public void checkKill() {}
        public ProcessState pause() { return new Paused(); }
        public ProcessState resume() throws TaskException {
            throw TaskException.failedPrecondition("cannot resume a running process");
        }
        public ProcessState delete() throws TaskException {
            throw TaskException.failedPrecondition("cannot delete a running process");
        }
        public void checkExec() {}
        public void checkUpdate() {}
        public ProcessState exited(int status, Instant at) { return new Stopped(status, at); }
    }

    record Paused() implements ProcessState {
        public Status status() { return Status.PAUSED; }
        public ProcessState start() throws TaskException {
            throw TaskException.failedPrecondition("cannot start a paused process");
        }
        public void checkKill() {}
        public ProcessState pause() throws TaskException {
            throw TaskException.failedPrecondition("cannot pause a paused process");
        }
        public ProcessState resume() { return new Running(); }
        public ProcessState delete() throws TaskException {
            throw TaskException.failedPrecondition("cannot delete a paused process");
        }
        public void checkExec() throws TaskException {
            throw TaskException.failedPrecondition("cannot exec in a paused state");
        }
        public void checkUpdate() {}
        public ProcessState exited(int status, Instant at) { return new Stopped(status, at); }
    }

    record Stopped(int exitStatus, Instant exitedAt) implements ProcessState {
        public Status status() { return Status.STOPPED; }
        public ProcessState start() throws TaskException {
            throw TaskException.failedPrecondition("cannot start a stopped process");
        }
        public void checkKill() throws TaskException {
            throw TaskException.notFound("process already finished");
        }
        public ProcessState pause() throws TaskException {
            throw TaskException.failedPrecondition("cannot pause a stopped container");
        }
        public ProcessState resume() throws TaskException {
            throw TaskException.failedPrecondition("cannot resume a stopped container");
        }
        public ProcessState delete() { return new Deleted(exitStatus, exitedAt); }
        public void checkExec() throws TaskException {
            throw TaskException.failedPrecondition("cannot exec in a stopped state");
        }
        public void checkUpdate() throws TaskException {
            throw TaskException.failedPrecondition("cannot update a stopped container");
        }
        public ProcessState exited(int status, Instant at) { return this; }
    }

    /** Forgotten by Delete. Unreachable through the RPCs once removed; kept so late callers get a clear answer. */
    record Deleted(int exitStatus, Instant exitedAt) implements ProcessState {
        public Status status() { return Status.STOPPED; }
        public ProcessState start() throws TaskException {
            throw TaskException.failedPrecondition("cannot start a deleted process");
        }
        public void checkKill() throws TaskException {
            throw TaskException.notFound("process already finished");
        }
        public ProcessState pause() throws TaskException {
            throw TaskException.failedPrecondition("cannot pause a deleted process");
        }
        public ProcessState resume() throws TaskException {
            throw TaskException.failedPrecondition("cannot resume a deleted process");
        }
        public ProcessState delete() throws TaskException {
            throw TaskException.failedPrecondition("cannot delete a deleted process");
        }
        public void checkExec() throws TaskException {
            throw TaskException.failedPrecondition("cannot exec in a deleted state");
        }
        public void checkUpdate() throws TaskException {
            throw TaskException.failedPrecondition("cannot update a deleted process");
        }
        public ProcessState exited(int status, Instant at) { return this; }
    }
}
