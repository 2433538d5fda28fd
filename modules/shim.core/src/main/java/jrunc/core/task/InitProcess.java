package jrunc.core.task;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import jrunc.core.runc.CriuOptions;
import jrunc.core.runc.PidFiles;
import jrunc.core.runc.RuncException;
import jrunc.core.spi.Signals;
import jrunc.core.stdio.Stdio;
import jrunc.core.task.ProcessState.Created;
import jrunc.core.task.ProcessState.CreatedFromCheckpoint;
import jrunc.core.task.ProcessState.Deleted;
import jrunc.core.task.ProcessState.Paused;
import jrunc.core.task.ProcessState.Running;
import jrunc.core.task.ProcessState.Stopped;

/**
 * The container's first process, made by {@code runc create} (or recorded for {@code runc restore}) and started by
 * {@code runc start}. Every operation is one switch over the state: a legal one runs its runc command and makes its
 * transition under the container's lock, an illegal one refuses with containerd's words. Mirrors {@code Init} and
 * the states of {@code pkg/process/init.go} and {@code init_state.go} (containerd v1.6.20), whose refusals are
 * plain errors (UNKNOWN on the wire); here they are FAILED_PRECONDITION, chosen on purpose, and NOT_FOUND where
 * containerd itself says the process is gone.
 */
final class InitProcess extends Process {
    private static final System.Logger LOG = System.getLogger(InitProcess.class.getName());
    /** How long the exit of an init sharing a PID namespace waits for the rest of its container to die. */
    static final Duration KILL_ALL_WAIT = Duration.ofSeconds(10);
    private static final Duration KILL_ALL_POLL = Duration.ofMillis(20);

    /** What Create decided about the init: its stdio, whether it is restored, and runc's pivot option. */
    record Spec(Stdio stdio, ProcessState initial, boolean noPivot) {}

    private final boolean noPivot;

    InitProcess(Container container, Spec spec) {
        super(container, spec.stdio(), spec.initial());
        this.noPivot = spec.noPivot();
    }

    @Override
    String id() {
        return container().id();
    }

    @Override
    String execId() {
        return "";
    }

    /**
     * Start: {@code runc start}, or {@code runc restore} for a task created from a checkpoint. The lock is held
     * across runc and {@code started}, which queues TaskStart: no exit of this init can be published before it.
     */
    int start(long deadline, Runnable started) throws TaskException {
        Container c = container();
        c.lock();
        try {
            switch (state()) {
                case Created created -> {
                    ExitRouter.StartWindow window = c.host().exits().beforeStart(this);
                    try {
                        c.runc(deadline).start(c.id());
                    } catch (RuncException e) {
                        c.host().exits().startFailed(window, pid());
                        throw TaskException.runtimeError("OCI runtime start failed", e);
                    }
                    transition(new Running());
                    started.run();
                    c.host().exits().started(window, pid());
                }
                case CreatedFromCheckpoint restoring -> restore(restoring.restore(), deadline, started);
                case Running r -> throw TaskException.failedPrecondition("cannot start a running process");
                case Paused p -> throw TaskException.failedPrecondition("cannot start a paused process");
                case Stopped s -> throw TaskException.failedPrecondition("cannot start a stopped process");
                case Deleted d -> throw TaskException.failedPrecondition("cannot start a deleted process");
            }
            return pid();
        } finally {
            c.unlock();
        }
    }

    /** containerd's {@code createdCheckpointState.Start}: the stdio made at Create is handed to runc restore. */
    private void restore(CriuOptions options, long deadline, Runnable started) throws TaskException {
        Container c = container();
        ExitRouter.StartWindow window = c.host().exits().beforeStart(this);
        int pid = 0;
        try {
            c.runc(deadline).restore(c.id(), c.bundle(), options, noPivot, io().runcFds(), io().consoleSocket());
            io().start();
            pid = PidFiles.read(c.bundle().resolve("init.pid"));
        } catch (RuncException e) {
            c.host().exits().startFailed(window, 0);
            throw TaskException.runtimeError("OCI runtime restore failed", e);
        } catch (IOException e) {
            c.host().exits().startFailed(window, 0);
            throw TaskException.unknown("failed to start the restored task's io or read its pid: " + e.getMessage(), e);
        }
        attach(pid, io());
        transition(new Running());
        started.run();
        c.host().exits().started(window, pid);
    }

    /** containerd's {@code Init.kill}: runc is asked in every state but deleted, even stopped (for {@code --all}). */
    @Override
    void kill(int signal, boolean all, long deadline) throws TaskException {
        Container c = container();
        c.lock();
        try {
            switch (state()) {
                case Deleted d -> throw TaskException.notFound("cannot kill a deleted process");
                case Created x -> runcKill(signal, all, deadline);
                case CreatedFromCheckpoint x -> runcKill(signal, all, deadline);
                case Running x -> runcKill(signal, all, deadline);
                case Paused x -> runcKill(signal, all, deadline);
                case Stopped x -> runcKill(signal, all, deadline);
            }
        } finally {
            c.unlock();
        }
    }

    private void runcKill(int signal, boolean all, long deadline) throws TaskException {
        try {
            container().runc(deadline).kill(id(), signal, all);
        } catch (RuncException e) {
            throw KillErrors.classify(e.getMessage());
        }
    }

    /**
     * containerd's {@code Init.delete}: {@code runc delete} ("does not exist" is fine: runc drops a checkpointed
     * container itself), then stdio closed and the rootfs unmounted even if runc failed. The exit status and time
     * stay what the process exited with.
     */
    @Override
    ProcessState delete(long deadline) throws TaskException {
        Container c = container();
        c.lock();
        try {
            ProcessState now = state();
            switch (now) {
                case Running r -> throw TaskException.failedPrecondition("cannot delete a running process");
                case Paused p -> throw TaskException.failedPrecondition("cannot delete a paused process");
                case Deleted d -> throw TaskException.notFound("cannot delete a deleted process");
                case Created x -> {}
                case CreatedFromCheckpoint x -> {}
                case Stopped x -> {}
            }
            RuncException failed = null;
            try {
                c.runc(deadline).delete(c.id(), false);
            } catch (RuncException e) {
                failed = e;
            }
            io().close();
            if (c.rootfs() != null) c.rootfs().unmountAll();
            if (failed != null) throw TaskException.runtimeError("failed to delete task", failed);
            ProcessState deleted = new Deleted(now.exitStatus(), now.exitedAt());
            transition(deleted);
            return deleted;
        } finally {
            c.unlock();
        }
    }

    void pause(long deadline) throws TaskException {
        Container c = container();
        c.lock();
        try {
            switch (state()) {
                case Running r -> {
                    try {
                        c.runc(deadline).pause(c.id());
                    } catch (RuncException e) {
                        throw TaskException.runtimeError("OCI runtime pause failed", e);
                    }
                    transition(new Paused());
                }
                case Created x -> throw TaskException.failedPrecondition("cannot pause task in created state");
                case CreatedFromCheckpoint x -> throw TaskException.failedPrecondition("cannot pause task in created state");
                case Paused p -> throw TaskException.failedPrecondition("cannot pause a paused container");
                case Stopped s -> throw TaskException.failedPrecondition("cannot pause a stopped container");
                case Deleted d -> throw TaskException.failedPrecondition("cannot pause a deleted process");
            }
        } finally {
            c.unlock();
        }
    }

    void resume(long deadline) throws TaskException {
        Container c = container();
        c.lock();
        try {
            switch (state()) {
                case Paused p -> {
                    try {
                        c.runc(deadline).resume(c.id());
                    } catch (RuncException e) {
                        throw TaskException.runtimeError("OCI runtime resume failed", e);
                    }
                    transition(new Running());
                }
                case Created x -> throw TaskException.failedPrecondition("cannot resume task in created state");
                case CreatedFromCheckpoint x -> throw TaskException.failedPrecondition("cannot resume task in created state");
                case Running r -> throw TaskException.failedPrecondition("cannot resume a running process");
                case Stopped s -> throw TaskException.failedPrecondition("cannot resume a stopped container");
                case Deleted d -> throw TaskException.failedPrecondition("cannot resume a deleted process");
            }
        } finally {
            c.unlock();
        }
    }

    /** {@code runc update --resources -} with the LinuxResources JSON as sent. */
    void update(byte[] resourcesJson, long deadline) throws TaskException {
        Container c = container();
        c.lock();
        try {
            switch (state()) {
                case Stopped s -> throw TaskException.failedPrecondition("cannot update a stopped container");
                case Deleted d -> throw TaskException.failedPrecondition("cannot update a deleted process");
                case Created x -> runcUpdate(resourcesJson, deadline);
                case CreatedFromCheckpoint x -> runcUpdate(resourcesJson, deadline);
                case Running x -> runcUpdate(resourcesJson, deadline);
                case Paused x -> runcUpdate(resourcesJson, deadline);
            }
        } finally {
            c.unlock();
        }
    }

    private void runcUpdate(byte[] resourcesJson, long deadline) throws TaskException {
        try {
            container().runc(deadline).update(id(), resourcesJson);
        } catch (RuncException e) {
            throw TaskException.runtimeError("OCI runtime update failed", e);
        }
    }

    /** {@code runc checkpoint} of a running or paused task (containerd's {@code Init.checkpoint}, see {@link Checkpoints}). */
    void checkpoint(Checkpoints.Request request, long deadline) throws TaskException {
        Container c = container();
        c.lock();
        try {
            switch (state()) {
                case Running r -> Checkpoints.dump(c, request, deadline);
                case Paused p -> Checkpoints.dump(c, request, deadline);
                case Created x -> throw TaskException.failedPrecondition("cannot checkpoint a task in created state");
                case CreatedFromCheckpoint x -> throw TaskException.failedPrecondition("cannot checkpoint a task in created state");
                case Stopped s -> throw TaskException.failedPrecondition("cannot checkpoint a stopped container");
                case Deleted d -> throw TaskException.failedPrecondition("cannot checkpoint a deleted process");
            }
        } finally {
            c.unlock();
        }
    }

    /** Exec asks the init whether its container takes another process. Caller holds the lock. */
    void checkExec() throws TaskException {
        switch (state()) {
            case Created x -> {}
            case Running x -> {}
            case CreatedFromCheckpoint x -> throw TaskException.failedPrecondition("cannot exec in a created state");
            case Paused p -> throw TaskException.failedPrecondition("cannot exec in a paused state");
            case Stopped s -> throw TaskException.failedPrecondition("cannot exec in a stopped state");
            case Deleted d -> throw TaskException.failedPrecondition("cannot exec in a deleted state");
        }
    }

    /** containerd's {@code Init.Resize}: set whenever there is a console, whatever the state. */
    @Override
    void refuseResize(ProcessState current) {}

    /**
     * A paused init that exits is resumed, so that the rest of its frozen cgroup can be killed (containerd's
     * {@code pausedState.SetExited}).
     */
    @Override
    boolean recordExit(int status, java.time.Instant at) {
        if (state() instanceof Paused) {
            try {
                container().runc().resume(id());
            } catch (RuncException e) {
                LOG.log(System.Logger.Level.WARNING, "resuming exited container " + id() + " from paused state: "
                        + e.getMessage());
            }
        }
        return super.recordExit(status, at);
    }

    /**
     * An init sharing a PID namespace takes nothing with it when it dies: {@code runc kill --all}, then wait until
     * runc sees no process left in the container's cgroup, so nothing of the container is alive once its exit is
     * published (containerd's {@code checkProcesses} kills but does not wait). Bounded by {@link #KILL_ALL_WAIT}.
     */
    @Override
    void settleBeforeExit() {
        Container c = container();
        if (!c.killAllOnInitExit()) return;
        try {
            c.runc().kill(c.id(), Signals.SIGKILL, true);
        } catch (RuncException e) {
            LOG.log(System.Logger.Level.DEBUG, "kill --all after the init exit of " + c.id() + ": " + e.getMessage());
        }
        long deadline = System.nanoTime() + KILL_ALL_WAIT.toNanos();
        List<Integer> left;
        while (true) {
            try {
                left = c.runc().ps(c.id());
            } catch (RuncException e) {
                return; // no cgroup (or no container) left to hold anything
            }
            if (left.isEmpty()) return;
            if (System.nanoTime() - deadline >= 0) break;
            try {
                Thread.sleep(KILL_ALL_POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        LOG.log(System.Logger.Level.WARNING, "processes " + left + " of " + c.id() + " still alive "
                + KILL_ALL_WAIT.toSeconds() + "s after kill --all; publishing the init's exit anyway");
    }
}
