package jrunc.core.task;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import jrunc.core.events.BareAny;
import jrunc.core.events.Topics;
import jrunc.core.runc.RuncException;
import jrunc.core.spi.Exit;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.stdio.Stdio;
import jrunc.core.stdio.WindowSize;
import jrunc.core.ttrpc.CallContext;
import jrunc.core.ttrpc.Code;
import jrunc.proto.events.TaskCreate;
import jrunc.proto.events.TaskDelete;
import jrunc.proto.events.TaskExecAdded;
import jrunc.proto.events.TaskExecStarted;
import jrunc.proto.events.TaskExit;
import jrunc.proto.events.TaskIO;
import jrunc.proto.events.TaskPaused;
import jrunc.proto.events.TaskResumed;
import jrunc.proto.events.TaskStart;
import jrunc.proto.runc.ProcessDetails;
import jrunc.proto.task.*;
import jrunc.proto.types.ProcessInfo;

/**
 * containerd's Task service ({@code containerd.task.v2.Task}) over runc. Mirrors
 * {@code runtime/v2/runc/task/service.go} (containerd v1.6.20), with 1.7.20's exit matching ({@link ExitRouter}).
 * It finds the container and process a call names, hands the call to the process (which runs runc and changes its
 * state), and publishes the events. Its errors are {@link TaskException}s, classified where they arise; methods are
 * called concurrently, see {@link Container} for the locking.
 */
public final class TaskService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TaskService.class.getName());
    static final String PROCESS_DETAILS_TYPE = "containerd.runc.v1.ProcessDetails";

    private final OperatingSystem os;
    private final TaskEvents events;
    private final String defaultNamespace;
    private final Runnable shutdown;
    private final ExitRouter exits;
    private final ContainerFactory factory;
    private final ContainerTable containers = new ContainerTable();

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
        this.factory = new ContainerFactory(new TaskHost(os, exits, tempDir));
    }

    /** go-runc puts exec specs in $XDG_RUNTIME_DIR, else the default temp dir. */
    private static Path defaultTempDir() {
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        return Path.of(xdg != null && !xdg.isEmpty() ? xdg : System.getProperty("java.io.tmpdir"));
    }

    // --- lifecycle ------------------------------------------------------------------------------------------

    public CreateTaskResponse create(CallContext ctx, CreateTaskRequest r) throws TaskException {
        String ns = ctx.namespace().isEmpty() ? defaultNamespace : ctx.namespace();
        CompletableFuture<Void> done = containers.reserve(r.getId());
        try {
            Container c = factory.create(ns, r, ctx.deadlineNanos(), created -> {
                containers.add(created);
                events.publish(Topics.TASK_CREATE, TaskCreate.newBuilder()
                        .setContainerId(r.getId()).setBundle(r.getBundle()).addAllRootfs(r.getRootfsList())
                        .setIo(TaskIO.newBuilder().setStdin(r.getStdin()).setStdout(r.getStdout())
                                .setStderr(r.getStderr()).setTerminal(r.getTerminal()))
                        .setCheckpoint(r.getCheckpoint()).setPid(created.init().pid()).build());
            });
            // Watched from Create, before runc start lets the process run: a task that outgrows its limit at once
            // must not be OOM-killed before the watch exists (Go's shim adds it only after Start and can miss it).
            // A restored task has no process until Start, which watches it then.
            int pid = pidOf(c, c.init());
            if (pid > 0) watchOom(c, pid);
            return CreateTaskResponse.newBuilder().setPid(pid).build();
        } finally {
            containers.release(r.getId(), done);
        }
    }

    public StartResponse start(CallContext ctx, StartRequest r) throws TaskException {
        Container c = container(r.getId());
        Process p = c.process(r.getExecId());
        int pid = switch (p) {
            case InitProcess init -> {
                int started = init.start(ctx.deadlineNanos(), () -> events.publish(Topics.TASK_START,
                        TaskStart.newBuilder().setContainerId(c.id()).setPid(init.pid()).build()));
                if (!c.watchesOom()) watchOom(c, started);
                yield started;
            }
            case ExecProcess exec -> exec.start(ctx.deadlineNanos(), started -> events.publish(Topics.TASK_EXEC_STARTED,
                    TaskExecStarted.newBuilder().setContainerId(c.id()).setExecId(exec.execId()).setPid(started).build()));
        };
        return StartResponse.newBuilder().setPid(pid).build();
    }

    /** Delete of the init forgets the container (and any exec runc took with it); of an exec, only the exec. */
    public DeleteResponse delete(CallContext ctx, DeleteRequest r) throws TaskException {
        Container c = container(r.getId());
        Process p = c.process(r.getExecId());
        ProcessState deleted = p.delete(ctx.deadlineNanos());
        exits.forget(p);
        c.lock();
        try {
            switch (p) {
                case ExecProcess exec -> c.removeExec(exec.execId());
                case InitProcess init -> {
                    for (ExecProcess exec : c.execs()) {
                        exits.forget(exec);
                        exec.io().close();
                    }
                    closeQuietly(c.takeOomWatch(), c.id());
                    containers.remove(c);
                    events.publish(Topics.TASK_DELETE, TaskDelete.newBuilder().setContainerId(c.id()).setPid(init.pid())
                            .setExitStatus(deleted.exitStatus()).setExitedAt(Timestamps.of(deleted.exitedAt())).build());
                }
            }
            return DeleteResponse.newBuilder().setPid(p.pid()).setExitStatus(deleted.exitStatus())
                    .setExitedAt(Timestamps.of(deleted.exitedAt())).build();
        } finally {
            c.unlock();
        }
    }

    public Empty exec(CallContext ctx, ExecProcessRequest r) throws TaskException {
        Container c = container(r.getId());
        if (r.getExecId().isEmpty()) throw TaskException.invalidArgument("exec id must not be empty");
        Stdio stdio = new Stdio(r.getStdin(), r.getStdout(), r.getStderr(), r.getTerminal());
        c.lock();
        try {
            c.init().checkExec();
            byte[] spec = ExecSpec.forRunc(r.getSpec().getValue().toByteArray(), r.getTerminal(), null);
            c.addExec(new ExecProcess(c, r.getExecId(), stdio, spec));
            events.publish(Topics.TASK_EXEC_ADDED, TaskExecAdded.newBuilder()
                    .setContainerId(c.id()).setExecId(r.getExecId()).build());
        } finally {
            c.unlock();
        }
        return Empty.getDefaultInstance();
    }

    // --- signals and state ----------------------------------------------------------------------------------

    public Empty kill(CallContext ctx, KillRequest r) throws TaskException {
        container(r.getId()).process(r.getExecId()).kill(r.getSignal(), r.getAll(), ctx.deadlineNanos());
        return Empty.getDefaultInstance();
    }

    public StateResponse state(CallContext ctx, StateRequest r) throws TaskException {
        Container c = container(r.getId());
        Process p = c.process(r.getExecId());
        c.lock();
        try {
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
    public WaitResponse await(CallContext ctx, WaitRequest r) throws TaskException {
        Process p = container(r.getId()).process(r.getExecId());
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

    public PidsResponse pids(CallContext ctx, PidsRequest r) throws TaskException {
        Container c = container(r.getId());
        List<Integer> pids;
        try {
            pids = c.runc(ctx.deadlineNanos()).ps(c.id());
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

    public Empty closeIO(CallContext ctx, CloseIORequest r) throws TaskException {
        container(r.getId()).process(r.getExecId()).closeStdin();
        return Empty.getDefaultInstance();
    }

    public Empty pause(CallContext ctx, PauseRequest r) throws TaskException {
        Container c = container(r.getId());
        c.init().pause(ctx.deadlineNanos());
        events.publish(Topics.TASK_PAUSED, TaskPaused.newBuilder().setContainerId(c.id()).build());
        return Empty.getDefaultInstance();
    }

    public Empty resume(CallContext ctx, ResumeRequest r) throws TaskException {
        Container c = container(r.getId());
        c.init().resume(ctx.deadlineNanos());
        events.publish(Topics.TASK_RESUMED, TaskResumed.newBuilder().setContainerId(c.id()).build());
        return Empty.getDefaultInstance();
    }

    /** {@code runc update --resources -} with the LinuxResources JSON as sent; the annotations are ignored, as in containerd. */
    public Empty update(CallContext ctx, UpdateTaskRequest r) throws TaskException {
        container(r.getId()).init().update(r.getResources().getValue().toByteArray(), ctx.deadlineNanos());
        return Empty.getDefaultInstance();
    }

    /** {@code runc checkpoint} into the request's path; containerd's shim publishes no event for it. */
    public Empty checkpoint(CallContext ctx, CheckpointTaskRequest r) throws TaskException {
        Container c = container(r.getId());
        c.init().checkpoint(Checkpoints.of(r), ctx.deadlineNanos());
        return Empty.getDefaultInstance();
    }

    /** TIOCSWINSZ on the process's pty master; kept for one not made yet; ignored by one without a terminal. */
    public Empty resizePty(CallContext ctx, ResizePtyRequest r) throws TaskException {
        container(r.getId()).process(r.getExecId()).resize(new WindowSize(r.getWidth(), r.getHeight()));
        return Empty.getDefaultInstance();
    }

    // --- shim -----------------------------------------------------------------------------------------------

    /** Never an error: containerd asks this after its own restart, for ids this shim may never have seen. */
    public ConnectResponse connect(CallContext ctx, ConnectRequest r) {
        ConnectResponse.Builder response = ConnectResponse.newBuilder().setShimPid(os.pid());
        Container c = containers.lookup(r.getId());
        if (c != null) response.setTaskPid(pidOf(c, c.init()));
        return response.build();
    }

    /** A no-op while any container is left: a grouped shim serves the others still. */
    public Empty shutdown(CallContext ctx, ShutdownRequest r) {
        if (containers.isIdle()) shutdown.run();
        return Empty.getDefaultInstance();
    }

    /**
     * The container's cgroup metrics, read afresh on each call (no runc involved), packed as containerd/cgroups'
     * v1 or v2 Metrics under a bare type_url. The cgroup is found from the spec's {@code cgroupsPath}, or from the
     * init's pid while it runs; a pid that has exited is not asked about, as it may belong to someone else by now.
     */
    public StatsResponse stats(CallContext ctx, StatsRequest r) throws TaskException {
        Container c = container(r.getId());
        int pid;
        c.lock();
        try {
            pid = c.init().exited().isDone() ? 0 : c.init().pid();
        } finally {
            c.unlock();
        }
        String cgroupsPath = OciSpec.cgroupsPath(os, c.bundle());
        try {
            return StatsResponse.newBuilder().setStats(BareAny.anyOf(os.cgroupMetrics(cgroupsPath, pid))).build();
        } catch (NoSuchFileException e) {
            throw TaskException.notFound("cgroup of container " + c.id() + " does not exist");
        } catch (IOException e) {
            throw TaskException.unknown("failed to read the cgroup stats of " + c.id() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        exits.close();
        for (Container c : containers.all()) {
            c.lock();
            try {
                closeQuietly(c.takeOomWatch(), c.id());
            } finally {
                c.unlock();
            }
        }
    }

    // --- exits and OOM --------------------------------------------------------------------------------------

    /**
     * On the exit thread. What must go first goes first (for an init sharing a PID namespace: every other process
     * of its container killed and gone); then record and publish, under the lock so that no RPC sees the process
     * half-exited.
     */
    private void onExit(Process p, Exit exit) {
        p.settleBeforeExit();
        Container c = p.container();
        c.lock();
        try {
            if (!p.recordExit(exit.status(), exit.at())) return;
            events.publish(Topics.TASK_EXIT, TaskExit.newBuilder().setContainerId(c.id()).setId(p.id())
                    .setPid(exit.pid()).setExitStatus(exit.status()).setExitedAt(Timestamps.of(exit.at())).build());
        } finally {
            c.unlock();
        }
    }

    /**
     * Publishes {@code /tasks/oom} each time the kernel OOM-kills in the container's memory cgroup, from Create (or
     * a restore's Start) until Delete (containerd v1.6.20 runtime/v2/runc/task/service.go adds it at Start). A cgroup that cannot be watched is logged,
     * as containerd does, and the task runs on.
     */
    private void watchOom(Container c, int pid) {
        String cgroupsPath = OciSpec.cgroupsPath(os, c.bundle());
        AutoCloseable watch;
        try {
            watch = os.watchOom(cgroupsPath, pid, () -> events.publish(Topics.TASK_OOM,
                    jrunc.proto.events.TaskOOM.newBuilder().setContainerId(c.id()).build()));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "add the cgroup of " + c.id() + " to the OOM monitor: " + e.getMessage());
            return;
        }
        c.lock();
        try {
            if (!containers.holds(c)) {
                closeQuietly(watch, c.id()); // deleted meanwhile
                return;
            }
            closeQuietly(c.takeOomWatch(), c.id());
            c.watchOom(watch);
        } finally {
            c.unlock();
        }
    }

    private static void closeQuietly(AutoCloseable watch, String id) {
        if (watch == null) return;
        try {
            watch.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "closing the OOM watch of " + id + ": " + e);
        }
    }

    // --- lookups --------------------------------------------------------------------------------------------

    private Container container(String id) throws TaskException {
        Container c = containers.lookup(id);
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
