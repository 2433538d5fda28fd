package jrunc.core.task;

import java.time.Instant;
import jrunc.core.runc.CriuOptions;
import jrunc.proto.types.Status;

/**
 * Where a container process (init or exec) is in its life: a value, each state carrying what it knows. What each
 * operation does in each state is decided in one place per kind of process ({@link InitProcess}, {@link ExecProcess})
 * with a switch over these states and no default, so a new state does not compile until every operation has an
 * answer for it. Mirrors the states of containerd v1.6.20 {@code pkg/process/init_state.go} and
 * {@code exec_state.go}.
 */
sealed interface ProcessState {

    /** Made by {@code runc create} (or, for an exec, recorded by Exec), not started yet. */
    record Created() implements ProcessState {}

    /** Recorded by a Create with a checkpoint: Start runs {@code runc restore} with these options. */
    record CreatedFromCheckpoint(CriuOptions restore) implements ProcessState {}

    record Running() implements ProcessState {}

    /** The init's cgroup is frozen; execs report this too while they run. */
    record Paused() implements ProcessState {}

    record Stopped(int exitStatus, Instant exitedAt) implements ProcessState {}

    /** Forgotten by Delete; a late caller holding the process still gets a clear answer. */
    record Deleted(int exitStatus, Instant exitedAt) implements ProcessState {}

    /** As containerd reports it: a deleted process reads "stopped". */
    default Status status() {
        return switch (this) {
            case Created c -> Status.CREATED;
            case CreatedFromCheckpoint c -> Status.CREATED;
            case Running r -> Status.RUNNING;
            case Paused p -> Status.PAUSED;
            case Stopped s -> Status.STOPPED;
            case Deleted d -> Status.STOPPED;
        };
    }

    /** The reaper saw the process exit: it is stopped, keeping the first status if it had stopped already. */
    default ProcessState exited(int status, Instant at) {
        return switch (this) {
            case Created c -> new Stopped(status, at);
            case CreatedFromCheckpoint c -> new Stopped(status, at);
            case Running r -> new Stopped(status, at);
            case Paused p -> new Stopped(status, at);
            case Stopped s -> s;
            case Deleted d -> d;
        };
    }

    /** Exit status, or 0 while the process has not exited. */
    default int exitStatus() {
        return 0;
    }

    /** When it exited, or null while it has not. */
    default Instant exitedAt() {
        return null;
    }
}
