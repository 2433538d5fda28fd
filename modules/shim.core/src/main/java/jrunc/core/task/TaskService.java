package jrunc.core.task;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import jrunc.core.events.BareAny;
import jrunc.core.events.Topics;
import jrunc.core.runc.RuncException;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.Exit;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.stdio.Stdio;
import jrunc.core.ttrpc.Code;
import jrunc.proto.events.TaskCreate;
import jrunc.proto.events.TaskDelete;
import jrunc.proto.events.TaskExecAdded;
import jrunc.proto.events.TaskExit;
import jrunc.proto.events.TaskIO;
import jrunc.proto.events.TaskPaused;
import jrunc.proto.events.TaskResumed;
import jrunc.proto.runc.ProcessDetails;
import jrunc.proto.task.*;
import jrunc.proto.types.ProcessInfo;

/**
 * containerd's Task service ({@code containerd.task.v2.Task}) over runc. Mirrors
 * {@code runtime/v2/runc/task/service.go} (containerd v1.6.20), with 1.7.20's exit matching ({@link ExitRouter}).
 * Each method answers one RPC; errors are {@link TaskException}s classified here and turned into ttrpc statuses
 * by {@link TaskHandlers}. Methods are called concurrently; see {@link Container} for the locking.
 */
public final class TaskService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TaskService.class.getName());
    private static final int SIGKILL = 9;
    static final String PROCESS_DETAILS_TYPE = "containerd.runc.v1.ProcessDetails";

    private final OperatingSystem os;
    private final TaskEvents events;
    private final String defaultNamespace;
    private final Runnable shutdown;
    private final ExitRouter exits;
    private final ContainerFactory factory;
    private final ProcessStarter starter;
    private final Map<String, Container> containers = new ConcurrentHashMap<>();
    private final Set<String> creating = new HashSet<>(); // guarded by itself: ids whose Create is in flight

    /**
     * @param namespace the shim's {@code -namespace}, used when a call carries no namespace metadata
     * @param shutdown  run by Shutdown once no container is left (the daemon removes its socket and exits)
     */
    public TaskService(OperatingSystem os, TaskEvents events, String namespace, Runnable shutdown) {
        this(os, events, namespace, shutdown, defaultTempDir());
    }

    TaskService(OperatingSystem os, TaskEvents events, String namespace, Runnable shutdown, Path tempDir) {
        this.os = os;
        this.events = events;
        this.defaultNamespace = namespace;
        this.shutdown = shutdown;
        this.exits = new ExitRouter(os.reaper(), this::onExit);
        this.factory = new ContainerFactory(os, exits, tempDir);
        this.starter = new ProcessStarter(os, events, exits, tempDir);
    }

    /** go-runc puts exec specs in $XDG_RUNTIME_DIR, else the default temp dir. */
    private static Path defaultTempDir() {
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        return Path.of(xdg != null && !xdg.isEmpty() ? xdg : System.getProperty("java.io.tmpdir"));
    }

    // --- lifecycle ------------------------------------------------------------------------------------------

    public CreateTaskResponse create(String namespace, CreateTaskRequest r) throws TaskException {
        String ns = namespace == null || namespace.isEmpty() ? defaultNamespace : namespace;
        synchronized (creating) {
            if (containers.containsKey(r.getId()) || !creating.add(r.getId())) {
                throw TaskException.alreadyExists("container " + r.getId() + ": already exists");
            }
        }
        try {
            Container c = factory.create(ns, r, created -> {
                containers.put(created.id(), created);
                events.publish(Topics.TASK_CREATE, TaskCreate.newBuilder()
                        .setContainerId(r.getId()).setBundle(r.getBundle()).addAllRootfs(r.getRootfsList())
                        .setIo(TaskIO.newBuilder().setStdin(r.getStdin()).setStdout(r.getStdout())
                                .setStderr(r.getStderr()).setTerminal(r.getTerminal()))
                        .setCheckpoint(r.getCheckpoint()).setPid(created.init().pid()).build());
            });
            return CreateTaskResponse.newBuilder().setPid(pidOf(c, c.init())).build();
        } finally {
            synchronized (creating) {
                creating.remove(r.getId());
            }
        }
    }

    public StartResponse start(StartRequest r) throws TaskException {
        Container c = container(r.getId());
        int pid = r.getExecId().isEmpty() ? starter.startInit(c) : starter.startExec(c, r.getExecId());
        return StartResponse.newBuilder().setPid(pid).build();
    }

    public DeleteResponse delete(DeleteRequest r) throws TaskException {
        Container c = container(r.getId());
        c.lock();
        try {
            Process p = c.process(r.getExecId());
            if (p instanceof ExecProcess exec) return deleteExec(c, exec);
            return deleteInit(c);
        } finally {
            c.unlock();
        }
    }

    private DeleteResponse deleteInit(Container c) throws TaskException {
        InitProcess init = c.init();
        ProcessState next = init.state().delete();
        try {
            c.runc().delete(c.id(), false);
        } catch (RuncException e) {
            throw e.runtimeError("failed to delete task");
        }
        init.transition(next);
        exits.forget(init);
        init.io().close();
        // runc delete took any exec left with the container: stop matching and copying for them too
        for (ExecProcess exec : c.execs()) {
            exits.forget(exec);
            exec.io().close();
        }
        if (c.rootfs() != null) c.rootfs().unmountAll();
        containers.remove(c.id());
        events.publish(Topics.TASK_DELETE, TaskDelete.newBuilder().setContainerId(c.id()).setPid(init.pid())
                .setExitStatus(next.exitStatus()).setExitedAt(Timestamps.of(next.exitedAt())).build());
        return deleteResponse(init.pid(), next);
    }

    /** An exec is forgotten without an event (the runc shim sends /tasks/delete for the init only). */
    private DeleteResponse deleteExec(Container c, ExecProcess exec) throws TaskException {
        if (exec.starting()) throw TaskException.failedPrecondition("cannot delete a process that is starting");
        ProcessState next = exec.state().delete();
        exec.transition(next);
        exits.forget(exec);
        exec.io().close();
        c.removeExec(exec.execId());
        try {
            Files.deleteIfExists(exec.pidFile());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "failed to remove " + exec.pidFile() + ": " + e.getMessage());
        }
        return deleteResponse(exec.pid(), next);
    }

    private static DeleteResponse deleteResponse(int pid, ProcessState deleted) {
        return DeleteResponse.newBuilder().setPid(pid).setExitStatus(deleted.exitStatus())
                .setExitedAt(Timestamps.of(deleted.exitedAt())).build();
    }

    public Empty exec(ExecProcessRequest r) throws TaskException {
        Container c = container(r.getId());
        if (r.getExecId().isEmpty()) throw TaskException.invalidArgument("exec id must not be empty");
        Stdio stdio = new Stdio(r.getStdin(), r.getStdout(), r.getStderr(), r.getTerminal());
        c.lock();
        try {
            c.init().state().checkExec();
            c.addExec(new ExecProcess(c, r.getExecId(), stdio, r.getSpec().getValue().toByteArray()));
            events.publish(Topics.TASK_EXEC_ADDED, TaskExecAdded.newBuilder()
                    .setContainerId(c.id()).setExecId(r.getExecId()).build());
        } finally {
            c.unlock();
        }
        return Empty.getDefaultInstance();
    }

    // --- signals and state ----------------------------------------------------------------------------------

    public Empty kill(KillRequest r) throws TaskException {
        Container c = container(r.getId());
        c.lock();
        try {
            Process p = c.process(r.getExecId());
            p.state().checkKill();
            if (p instanceof InitProcess) {
                try {
                    c.runc().kill(c.id(), r.getSignal(), r.getAll());
                } catch (RuncException e) {
                    throw KillErrors.classify(e.getMessage());
                }
            } else {
                killExec((ExecProcess) p, r.getSignal());
            }
        } finally {
            c.unlock();
        }
        return Empty.getDefaultInstance();
    }

    private void killExec(ExecProcess exec, int signal) throws TaskException {
        if (exec.pid() == 0) throw TaskException.failedPrecondition("process not created");
        try {
            os.kill(exec.pid(), signal);
        } catch (ErrnoException e) {
            if (e.errno() == ErrnoException.ESRCH) throw TaskException.notFound("process already finished");
            throw TaskException.unknown("unknown error after kill: " + e.getMessage(), e);
        } catch (IOException e) {
            throw TaskException.unknown("unknown error after kill: " + e.getMessage(), e);
        }
    }

    public StateResponse state(StateRequest r) throws TaskException {
        Container c = container(r.getId());
        c.lock();
        try {
            Process p = c.process(r.getExecId());
            Stdio io = p.stdio();
            ProcessState s = p.state();
            return StateResponse.newBuilder().setId(p.id()).setBundle(c.bundle().toString()).setPid(p.pid())
                    .setStatus(p.status()).setStdin(io.stdin()).setStdout(io.stdout()).setStderr(io.stderr())
                    .setTerminal(io.terminal()).setExitStatus(s.exitStatus()).setExitedAt(Timestamps.of(s.exitedAt()))
                    .build();
        } finally {
            c.unlock();
        }
    }

    /** Blocks until the process has exited, without holding any lock. */
    public WaitResponse await(WaitRequest r) throws TaskException {
        Container c = container(r.getId());
        Process p;
        c.lock();
        try {
            p = c.process(r.getExecId());
        } finally {
            c.unlock();
        }
        ProcessState stopped;
        try {
            stopped = p.exited().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TaskException(Code.CANCELLED, "wait interrupted", e);
        } catch (ExecutionException e) {
            throw TaskException.unknown("wait: " + e.getCause(), e.getCause());
        }
        return WaitResponse.newBuilder().setExitStatus(stopped.exitStatus())
                .setExitedAt(Timestamps.of(stopped.exitedAt())).build();
    }

    public PidsResponse pids(PidsRequest r) throws TaskException {
        Container c = container(r.getId());
        List<Integer> pids;
        try {
            pids = c.runc().ps(c.id());
        } catch (RuncException e) {
            throw TaskException.unknown("failed to list processes: " + e.getMessage(), e);
        }
        Map<Integer, String> execPids = new HashMap<>();
        c.lock();
        try {
            for (ExecProcess exec : c.execs()) {
                if (exec.pid() > 0) execPids.put(exec.pid(), exec.execId());
            }
        } finally {
            c.unlock();
        }
        PidsResponse.Builder response = PidsResponse.newBuilder();
        for (int pid : pids) {
            ProcessInfo.Builder info = ProcessInfo.newBuilder().setPid(pid);
            String execId = execPids.get(pid);
            if (execId != null) {
                // a bare type URL: containerd 1.6's registry matches exact names only
                info.setInfo(Any.newBuilder().setTypeUrl(PROCESS_DETAILS_TYPE)
                        .setValue(ProcessDetails.newBuilder().setExecId(execId).build().toByteString()));
            }
            response.addProcesses(info);
        }
        return response.build();
    }

    public Empty closeIO(CloseIORequest r) throws TaskException {
        Container c = container(r.getId());
        c.lock();
        try {
            c.process(r.getExecId()).io().closeStdin();
        } finally {
            c.unlock();
        }
        return Empty.getDefaultInstance();
    }

    public Empty pause(PauseRequest r) throws TaskException {
        Container c = container(r.getId());
        c.lock();
        try {
            ProcessState next = c.init().state().pause();
            try {
                c.runc().pause(c.id());
            } catch (RuncException e) {
                throw e.runtimeError("OCI runtime pause failed");
            }
            c.init().transition(next);
            events.publish(Topics.TASK_PAUSED, TaskPaused.newBuilder().setContainerId(c.id()).build());
        } finally {
            c.unlock();
        }
        return Empty.getDefaultInstance();
    }

    public Empty resume(ResumeRequest r) throws TaskException {
        Container c = container(r.getId());
        c.lock();
        try {
            ProcessState next = c.init().state().resume();
            try {
                c.runc().resume(c.id());
            } catch (RuncException e) {
                throw e.runtimeError("OCI runtime resume failed");
            }
            c.init().transition(next);
            events.publish(Topics.TASK_RESUMED, TaskResumed.newBuilder().setContainerId(c.id()).build());
        } finally {
            c.unlock();
        }
        return Empty.getDefaultInstance();
    }

    /** {@code runc update --resources -} with the LinuxResources JSON as sent; the annotations are ignored, as in containerd. */
    public Empty update(UpdateTaskRequest r) throws TaskException {
        Container c = container(r.getId());
        c.lock();
        try {
            c.init().state().checkUpdate();
            c.runc().update(c.id(), r.getResources().getValue().toByteArray());
        } catch (RuncException e) {
            throw e.runtimeError("OCI runtime update failed");
        } finally {
            c.unlock();
        }
        return Empty.getDefaultInstance();
    }

    // --- shim -----------------------------------------------------------------------------------------------

    /** Never an error: containerd asks this after its own restart, for ids this shim may never have seen. */
    public ConnectResponse connect(ConnectRequest r) {
        ConnectResponse.Builder response = ConnectResponse.newBuilder().setShimPid(os.pid());
        Container c = containers.get(r.getId());
        if (c != null) response.setTaskPid(pidOf(c, c.init()));
        return response.build();
    }

    /** A no-op while any container is left: a grouped shim serves the others still. */
    public Empty shutdown(ShutdownRequest r) {
        boolean idle;
        synchronized (creating) {
            idle = containers.isEmpty() && creating.isEmpty();
        }
        if (idle) shutdown.run();
        return Empty.getDefaultInstance();
    }

    /**
     * The container's cgroup metrics, read afresh on each call (no runc involved), packed as containerd/cgroups'
     * v1 or v2 Metrics under a bare type_url. The cgroup is found from the spec's {@code cgroupsPath}, or from the
     * init's pid while it runs; a pid that has exited is not asked about, as it may belong to someone else by now.
     */
    public StatsResponse stats(StatsRequest r) throws TaskException {
        Container c = container(r.getId());
        int pid;
        c.lock();
        try {
            pid = c.init().exited().isDone() ? 0 : c.init().pid();
        } finally {
            c.unlock();
        }
        String cgroupsPath = OciSpec.cgroupsPath(c.bundle().resolve("config.json"));
        try {
            return StatsResponse.newBuilder().setStats(BareAny.anyOf(os.cgroupMetrics(cgroupsPath, pid))).build();
        } catch (NoSuchFileException e) {
            throw TaskException.notFound("cgroup of container " + c.id() + " does not exist");
        } catch (IOException e) {
            throw TaskException.unknown("failed to read the cgroup stats of " + c.id() + ": " + e.getMessage(), e);
        }
    }

    public Empty checkpoint(CheckpointTaskRequest r) throws TaskException {
        container(r.getId());
        throw TaskException.unimplemented("checkpoint is not supported by jrunc (CRIU)");
    }

    /** TIOCSWINSZ on the process's pty master; a process without a terminal ignores it (containerd's Resize). */
    public Empty resizePty(ResizePtyRequest r) throws TaskException {
        Container c = container(r.getId());
        c.lock();
        try {
            c.process(r.getExecId()).io().resize(r.getWidth(), r.getHeight());
        } catch (IOException e) {
            throw TaskException.unknown("failed to resize pty: " + e.getMessage(), e);
        } finally {
            c.unlock();
        }
        return Empty.getDefaultInstance();
    }

    /** True while any container is registered. */
    public boolean hasContainers() {
        return !containers.isEmpty();
    }

    @Override
    public void close() {
        exits.close();
    }

    // --- exits ----------------------------------------------------------------------------------------------

    /**
     * On the exit thread. For an init sharing a PID namespace, first {@code runc kill --all} so nothing in the
     * container outlives it (containerd's {@code checkProcesses}). Then record and publish, under the lock so
     * that no RPC sees the process half-exited.
     */
    private void onExit(Process p, Exit exit) {
        Container c = p.container();
        if (p instanceof InitProcess && c.killAllOnInitExit()) {
            try {
                c.runc().kill(c.id(), SIGKILL, true);
            } catch (RuncException e) {
                LOG.log(System.Logger.Level.DEBUG, "kill --all after init exit of " + c.id() + ": " + e.getMessage());
            }
        }
        c.lock();
        try {
            if (!p.recordExit(exit.status(), exit.at())) return;
            events.publish(Topics.TASK_EXIT, TaskExit.newBuilder().setContainerId(c.id()).setId(p.id())
                    .setPid(exit.pid()).setExitStatus(exit.status()).setExitedAt(Timestamps.of(exit.at())).build());
        } finally {
            c.unlock();
        }
    }

    // --- lookups --------------------------------------------------------------------------------------------

    private Container container(String id) throws TaskException {
        Container c = containers.get(id);
        if (c == null) throw TaskException.notFound("container not created");
        return c;
    }

    private static int pidOf(Container c, Process p) {
        c.lock();
        try {
            return p.pid();
        } finally {
            c.unlock();
        }
    }
}
