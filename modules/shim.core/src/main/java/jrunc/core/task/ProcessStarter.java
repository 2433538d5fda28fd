package jrunc.core.task;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import jrunc.core.events.Topics;
import jrunc.core.runc.PidFiles;
import jrunc.core.runc.RuncException;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.stdio.ProcessIO;
import jrunc.proto.events.TaskExecStarted;
import jrunc.proto.events.TaskStart;

/**
 * The Start RPC: {@code runc start} for an init, {@code runc exec --detach} for an exec, each followed by its start
 * event. Mirrors {@code Start} in {@code runtime/v2/runc/task/service.go} with 1.7.20's {@code preStart} ordering:
 * the start event is queued before the process becomes matchable by {@link ExitRouter}, so its exit always comes
 * after it, even when the process dies at once.
 */
final class ProcessStarter {
    private static final System.Logger LOG = System.getLogger(ProcessStarter.class.getName());
    private static final int SIGKILL = 9;
    /** What a process whose {@code runc exec} failed reports, so that Wait returns at once. */
    private static final int FAILED_START_STATUS = 255;

    private final OperatingSystem os;
    private final TaskEvents events;
    private final ExitRouter exits;
    /** Where console sockets go ($XDG_RUNTIME_DIR or the temp dir). */
    private final Path consoleDir;

    ProcessStarter(OperatingSystem os, TaskEvents events, ExitRouter exits, Path consoleDir) {
        this.os = os;
        this.events = events;
        this.exits = exits;
        this.consoleDir = consoleDir;
    }

    /** The lock is held across runc start and the queuing of TaskStart: no exit of this init can get ahead. */
    int startInit(Container c) throws TaskException {
        InitProcess init = c.init();
        c.lock();
        try {
            ProcessState next = init.state().start();
            ExitRouter.StartWindow window = exits.beforeStart(init);
            try {
                c.runc().start(c.id());
            } catch (RuncException e) {
                exits.startFailed(window, init.pid());
                throw e.runtimeError("OCI runtime start failed");
            }
            init.transition(next);
            events.publish(Topics.TASK_START, TaskStart.newBuilder().setContainerId(c.id()).setPid(init.pid()).build());
            exits.started(window, init.pid());
            return init.pid();
        } finally {
            c.unlock();
        }
    }

    /**
     * runc exec and the opening of the client's FIFOs (up to 30 s) run outside the container lock, so that State
     * and Kill are not held up; the exec is marked "starting" meanwhile so a second Start is refused.
     */
    int startExec(Container c, String execId) throws TaskException {
        ExecProcess exec;
        ExitRouter.StartWindow window;
        c.lock();
        try {
            exec = (ExecProcess) c.process(execId);
            if (exec.starting()) throw TaskException.failedPrecondition("process " + execId + " is already starting");
            exec.state().start(); // only checks: the state changes once runc has succeeded
            exec.starting(true);
            window = exits.beforeStart(exec);
        } finally {
            c.unlock();
        }
        ProcessIO io = ProcessIO.NullIO.INSTANCE;
        int pid = 0;
        try {
            io = ProcessIO.create(os, exec.stdio(), c.ioOwner(), consoleDir);
            c.runc().exec(c.id(), exec.processSpecJson(), exec.pidFile(), io.runcFds(), io.consoleSocket());
            io.start();
            pid = PidFiles.read(exec.pidFile());
        } catch (RuncException | IOException | TaskException e) {
            failExecStart(c, exec, window, io, pid);
            if (e instanceof RuncException re) throw re.runtimeError("OCI runtime exec failed");
            if (e instanceof TaskException te) throw te;
            throw TaskException.unknown("failed to start io pipe copy: " + e.getMessage(), e);
        }
        c.lock();
        try {
            exec.starting(false);
            exec.attach(pid, io);
            exec.transition(exec.state().start());
            events.publish(Topics.TASK_EXEC_STARTED, TaskExecStarted.newBuilder()
                    .setContainerId(c.id()).setExecId(execId).setPid(pid).build());
        } catch (TaskException e) {
            throw new IllegalStateException("exec " + execId + " left the created state while starting", e);
        } finally {
            c.unlock();
        }
        exits.started(window, pid);
        return pid;
    }

    /** A failed exec start is finished at once, so that Wait does not hang (containerd closes its waitBlock). */
    private void failExecStart(Container c, ExecProcess exec, ExitRouter.StartWindow window, ProcessIO io, int pid) {
        if (pid > 0) {
            try {
                os.kill(pid, SIGKILL);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "kill exec after failed start", e);
            }
        }
        exits.startFailed(window, 0);
        io.close();
        c.lock();
        try {
            exec.starting(false);
            exec.transition(new ProcessState.Stopped(FAILED_START_STATUS, Instant.now()));
        } finally {
            c.unlock();
        }
    }
}
