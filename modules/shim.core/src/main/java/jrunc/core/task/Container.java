package jrunc.core.task;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import jrunc.core.mount.Rootfs;
import jrunc.core.runc.Runc;
import jrunc.core.stdio.ProcessIO;

/**
 * One task: its bundle, its runc, its rootfs, the init and the execs by id. Mirrors {@code runtime/v2/runc/container.go}
 * (containerd v1.6.20).
 *
 * <p>Locking: one lock per container guards every process's state, pid and stdio, and the exec table. An operation
 * holds it while it checks a state and runs the runc command that changes it, so two calls cannot both pass a
 * check; Wait never holds it, and neither does the exit handler while it runs {@code runc kill --all}, nor an exec's
 * Start while runc exec runs.
 */
final class Container {
    private final TaskHost host;
    private final String id;
    private final Path bundle;
    private final String namespace;
    private final Runc runc;
    private final Rootfs rootfs; // null: containerd mounted the rootfs itself (no mounts in Create)
    private final boolean killAllOnInitExit;
    private final ProcessIO.Owner ioOwner;
    private final InitProcess init;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, ExecProcess> execs = new HashMap<>(); // guarded by lock
    private AutoCloseable oomWatch; // guarded by lock: the cgroup's OOM watch, from Start until Delete

    Container(TaskHost host, String id, Path bundle, String namespace, Runc runc, Rootfs rootfs,
              boolean killAllOnInitExit, ProcessIO.Owner ioOwner, InitProcess.Spec init) {
        this.host = host;
        this.id = id;
        this.bundle = bundle;
        this.namespace = namespace;
        this.runc = runc;
        this.rootfs = rootfs;
        this.killAllOnInitExit = killAllOnInitExit;
        this.ioOwner = ioOwner;
        this.init = new InitProcess(this, init);
    }

    TaskHost host() {
        return host;
    }

    String id() {
        return id;
    }

    Path bundle() {
        return bundle;
    }

    String namespace() {
        return namespace;
    }

    /** The container's runc, without a caller's deadline: for clean-ups, which must run whoever gave up. */
    Runc runc() {
        return runc;
    }

    /** The container's runc for a call that must answer by {@code deadlineNanos}. */
    Runc runc(long deadlineNanos) {
        return runc.within(deadlineNanos);
    }

    Rootfs rootfs() {
        return rootfs;
    }

    /** See {@link OciSpec#shouldKillAllOnExit}. */
    boolean killAllOnInitExit() {
        return killAllOnInitExit;
    }

    ProcessIO.Owner ioOwner() {
        return ioOwner;
    }

    InitProcess init() {
        return init;
    }

    void lock() {
        lock.lock();
    }

    void unlock() {
        lock.unlock();
    }

    void assertLocked() {
        if (!lock.isHeldByCurrentThread()) throw new IllegalStateException("container " + id + " lock not held");
    }

    /** The init for "", else the exec; NOT_FOUND as containerd words it. */
    Process process(String execId) throws TaskException {
        if (execId.isEmpty()) return init;
        lock();
        try {
            ExecProcess exec = execs.get(execId);
            // Go's wording (containerd v1.6.20 runtime/v2/runc/container.go, Process): containerd 2.x shows it as it is
            if (exec == null) throw TaskException.notFound("process does not exist " + execId + ": not found");
            return exec;
        } finally {
            unlock();
        }
    }

    /** Reserves an exec id; ALREADY_EXISTS for one in use (containerd's {@code ReserveProcess}). Caller holds the lock. */
    void addExec(ExecProcess exec) throws TaskException {
        assertLocked();
        if (execs.putIfAbsent(exec.execId(), exec) != null) throw TaskException.alreadyExists("id " + exec.execId());
    }

    void removeExec(String execId) {
        assertLocked();
        execs.remove(execId);
    }

    List<ExecProcess> execs() {
        assertLocked();
        return new ArrayList<>(execs.values());
    }

    /** Caller holds the lock. */
    void watchOom(AutoCloseable watch) {
        assertLocked();
        oomWatch = watch;
    }

    boolean watchesOom() {
        lock();
        try {
            return oomWatch != null;
        } finally {
            unlock();
        }
    }

    /** Caller holds the lock. */
    AutoCloseable takeOomWatch() {
        assertLocked();
        AutoCloseable watch = oomWatch;
        oomWatch = null;
        return watch;
    }
}
