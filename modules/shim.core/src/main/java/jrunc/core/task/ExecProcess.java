package jrunc.core.task;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.function.IntConsumer;
import jrunc.core.runc.PidFiles;
import jrunc.core.runc.RuncException;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.Signals;
import jrunc.core.stdio.ProcessIO;
import jrunc.core.stdio.Stdio;
import jrunc.core.task.ProcessState.Created;
import jrunc.core.task.ProcessState.CreatedFromCheckpoint;
import jrunc.core.task.ProcessState.Deleted;
import jrunc.core.task.ProcessState.Paused;
import jrunc.core.task.ProcessState.Running;
import jrunc.core.task.ProcessState.Stopped;
import jrunc.proto.types.Status;

/**
 * An additional process in a running container: recorded by Exec, made and started by {@code runc exec --detach}
 * at Start. Each operation is one switch over the state, as in {@link InitProcess}. Mirrors {@code execProcess} and
 * its states ({@code pkg/process/exec.go}, {@code exec_state.go}, containerd v1.6.20). An exec is never paused or
 * restored itself: it reports its container's pause.
 */
final class ExecProcess extends Process {
    private static final System.Logger LOG = System.getLogger(ExecProcess.class.getName());
    /** What a process that never ran reports: containerd closes its wait, we answer 255 at once. */
    private static final int FAILED_START_STATUS = 255;

    private final String execId;
    private final byte[] processSpecJson;
    private boolean starting; // guarded by container().lock(): runc exec is running, outside the lock

    /** @param processSpecJson the OCI Process JSON, its {@code terminal} already set from the request */
    ExecProcess(Container container, String execId, Stdio stdio, byte[] processSpecJson) {
        super(container, stdio, new Created());
        this.execId = execId;
        this.processSpecJson = processSpecJson.clone();
    }

    @Override
    String id() {
        return execId;
    }

    @Override
    String execId() {
        return execId;
    }

    /** Where {@code runc exec --pid-file} writes the pid: {@code <bundle>/<exec id>.pid}. */
    Path pidFile() {
        return container().bundle().resolve(execId + ".pid");
    }

    /** containerd's exec reports "paused" while its container is paused (execState follows the init's cgroup). */
    @Override
    Status status() {
        Status own = super.status();
        Status init = container().init().status();
        return own == Status.RUNNING && init == Status.PAUSED ? Status.PAUSED : own;
    }

    /**
     * Start: {@code runc exec}. runc and the opening of the stdio run outside the container lock, so that State and
     * Kill are not held up; the exec is marked starting meanwhile, so a second Start or a Delete is refused.
     * {@code started} queues TaskExecStarted, under the lock, before any exit of the exec can be published.
     */
    int start(long deadline, IntConsumer started) throws TaskException {
        Container c = container();
        ExitRouter.StartWindow window;
        byte[] spec;
        c.lock();
        try {
            switch (state()) {
                case Created x -> {}
                case Running r -> throw TaskException.failedPrecondition("cannot start a running process");
                case Stopped s -> throw TaskException.failedPrecondition("cannot start a stopped process");
                case Deleted d -> throw TaskException.failedPrecondition("cannot start a deleted process");
                case Paused p -> throw new IllegalStateException("an exec is never paused itself");
                case CreatedFromCheckpoint x -> throw new IllegalStateException("an exec is never restored");
            }
            if (starting) throw TaskException.failedPrecondition("process " + execId + " is already starting");
            spec = ExecSpec.forRunc(processSpecJson, stdio().terminal(), windowSize());
            window = c.host().exits().beforeStart(this);
            starting = true;
        } finally {
            c.unlock();
        }
        ProcessIO io = ProcessIO.NullIO.INSTANCE;
        int pid = 0;
        try {
            try {
                io = ProcessIO.create(c.host().os(), stdio(), c.ioOwner(), c.host().tempDir());
            } catch (IOException e) {
                throw TaskException.unknown("failed to create exec process I/O: " + e.getMessage(), e);
            }
            try {
                c.runc(deadline).exec(c.id(), spec, pidFile(), io.runcFds(), io.consoleSocket());
            } catch (RuncException e) {
                throw TaskException.runtimeError("OCI runtime exec failed", e);
            }
            try {
                io.start();
            } catch (IOException e) {
                throw TaskException.unknown("failed to start io pipe copy: " + e.getMessage(), e);
            }
            try {
                pid = PidFiles.read(pidFile());
            } catch (IOException e) {
                throw TaskException.unknown("failed to retrieve OCI runtime exec pid: " + e.getMessage(), e);
            }
        } catch (TaskException | RuntimeException e) {
            failStart(window, io, pid);
            throw e;
        }
        c.lock();
        try {
            starting = false;
            attach(pid, io);
            // a ResizePty that came while runc ran found no terminal yet: the console has kept it since
            if (windowSize() != null) io.resize(windowSize());
            transition(new Running());
            started.accept(pid);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "resize of exec " + execId + " after start: " + e.getMessage());
            transition(new Running());
            started.accept(pid);
        } finally {
            c.unlock();
        }
        c.host().exits().started(window, pid);
        return pid;
    }

    /** A failed start is finished at once, so that Wait does not hang (containerd closes its waitBlock). */
    private void failStart(ExitRouter.StartWindow window, ProcessIO io, int pid) {
        Container c = container();
        if (pid > 0) {
            try {
                c.host().os().kill(pid, Signals.SIGKILL);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "kill exec " + execId + " after a failed start: " + e.getMessage());
            }
        }
        c.host().exits().startFailed(window, 0);
        io.close();
        c.lock();
        try {
            starting = false;
            transition(new Stopped(FAILED_START_STATUS, Instant.now()));
        } finally {
            c.unlock();
        }
    }

    /** containerd's {@code execProcess.kill}: kill(2) of the exec's own pid, whatever the container is doing. */
    @Override
    void kill(int signal, boolean all, long deadline) throws TaskException {
        Container c = container();
        c.lock();
        try {
            switch (state()) {
                case Deleted d -> throw TaskException.notFound("cannot kill a deleted process");
                case Stopped s -> throw TaskException.notFound("process already finished");
                case Created x -> signal(signal);
                case Running x -> signal(signal);
                case Paused x -> signal(signal);
                case CreatedFromCheckpoint x -> signal(signal);
            }
        } finally {
            c.unlock();
        }
    }

    private void signal(int signal) throws TaskException {
        if (pid() == 0) throw TaskException.failedPrecondition("process not created");
        try {
            container().host().os().kill(pid(), signal);
        } catch (ErrnoException e) {
            throw KillErrors.classify(e);
        } catch (IOException e) {
            throw TaskException.unknown("exec kill error: " + e.getMessage(), e);
        }
    }

    /**
     * containerd's {@code execProcess.delete}: stdio closed and the pid file removed; no event (the runc shim sends
     * {@code /tasks/delete} for the init only). The caller forgets the exec.
     */
    @Override
    ProcessState delete(long deadline) throws TaskException {
        Container c = container();
        c.lock();
        try {
            ProcessState now = state();
            switch (now) {
                case Running r -> throw TaskException.failedPrecondition("cannot delete a running process");
                case Deleted d -> throw TaskException.notFound("cannot delete a deleted process");
                case Paused p -> throw TaskException.failedPrecondition("cannot delete a running process");
                case Created x -> {}
                case CreatedFromCheckpoint x -> {}
                case Stopped x -> {}
            }
            if (starting) throw TaskException.failedPrecondition("cannot delete a process that is starting");
            io().close();
            try {
                Files.deleteIfExists(pidFile());
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "failed to remove " + pidFile() + ": " + e.getMessage());
            }
            ProcessState deleted = new Deleted(now.exitStatus(), now.exitedAt());
            transition(deleted);
            return deleted;
        } finally {
            c.unlock();
        }
    }

    /** containerd's {@code execStoppedState.Resize} and {@code deletedState.Resize}. */
    @Override
    void refuseResize(ProcessState current) throws TaskException {
        switch (current) {
            case Stopped s -> throw TaskException.failedPrecondition("cannot resize a stopped container");
            case Deleted d -> throw TaskException.failedPrecondition("cannot resize a deleted process");
            case Created x -> {}
            case CreatedFromCheckpoint x -> {}
            case Running x -> {}
            case Paused x -> {}
        }
    }
}
