package jrunc.linux;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.Exit;
import jrunc.core.spi.Reaper;
import jrunc.core.spi.Spawn;
import jrunc.linux.ffi.Libc;

/**
 * The one waitpid(-1) loop of this process. Mirrors sys/reaper/reaper_unix.go (containerd v1.6.20) with a
 * blocking wait in one platform thread instead of SIGCHLD + WNOHANG, since the JVM owns signal handling.
 *
 * <p>There is one per process, not per {@link LinuxOperatingSystem}: two loops calling waitpid(-1) would take
 * each other's exits. The thread starts on first use, so a path that only spawns a detached process (the shim's
 * {@code start}) never creates it.
 *
 * <p>A spawn whose exec fails leaves glibc's short-lived child behind (exit 127), which this loop may reap before
 * glibc does: subscribers then see an exit for a pid nobody was told about, and ignore it as any unknown pid.
 */
final class LinuxReaper implements Reaper {
    private static final System.Logger LOG = System.getLogger(LinuxReaper.class.getName());
    /** With no child, the loop sleeps until the next spawn; this bounds the wait for orphans re-parented to us. */
    private static final long IDLE_WAIT_MILLIS = 1000;

    // guarded by LinuxReaper.class
    private static LinuxReaper instance;

    /**
     * Held across spawn + registration in {@link #start}, and to look an exit up: a child that exits before
     * posix_spawn has even returned is reaped, but its exit waits here until its future is registered.
     */
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled on every spawn, so a loop that saw ECHILD goes back to waitpid. */
    private final Condition spawned = lock.newCondition();
    // guarded by lock
    private final Map<Integer, CompletableFuture<Exit>> awaited = new HashMap<>();
    // guarded by lock: detached children, whose exits nobody here wants
    private final Set<Integer> detached = new HashSet<>();
    // guarded by lock
    private long spawnCount;
    private final List<Consumer<Exit>> subscribers = new CopyOnWriteArrayList<>();

    private LinuxReaper() {}

    /** The process's reaper, with its thread started. */
    static synchronized LinuxReaper process() {
        if (instance == null) {
            LinuxReaper reaper = new LinuxReaper();
            Thread.ofPlatform().name("jrunc-reaper").daemon().start(reaper::run);
            instance = reaper;
        }
        return instance;
    }

    /**
     * Spawns a child nobody here will wait for. Without a running reaper it is a plain spawn (nothing would reap
     * it anyway); with one, the pid is marked so its exit is dropped instead of reaching subscribers. Holding the
     * class monitor keeps the reaper from starting in between.
     */
    static synchronized int spawnDetached(Spawn spawn) throws IOException {
        return instance == null ? Spawner.spawn(spawn) : instance.spawn(spawn);
    }

    @Override
    public Child start(Spawn spawn) throws IOException {
        lock.lock();
        try {
            int pid = spawnLocked(spawn);
            CompletableFuture<Exit> exit = new CompletableFuture<>();
            awaited.put(pid, exit);
            return new Child(pid, exit);
        } finally {
            lock.unlock();
        }
    }

    /** Spawns a child whose exit goes to the subscribers (or nowhere, when it is detached). */
    int spawn(Spawn spawn) throws IOException {
        lock.lock();
        try {
            int pid = spawnLocked(spawn);
            if (spawn.detached()) detached.add(pid);
            return pid;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public AutoCloseable subscribe(Consumer<Exit> subscriber) {
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    private int spawnLocked(Spawn spawn) throws IOException {
        int pid = Spawner.spawn(spawn);
        spawnCount++;
        spawned.signalAll();
        return pid;
    }

    private void run() {
        while (true) {
            long seen = spawnsSoFar();
            Libc.Waited waited;
            try {
                waited = Libc.waitpid(-1, 0);
            } catch (ErrnoException e) {
                if (e.errno() == ErrnoException.ECHILD) {
                    awaitSpawnAfter(seen);
                } else if (e.errno() != ErrnoException.EINTR) {
                    LOG.log(Level.ERROR, "waitpid failed, retrying after a pause", e);
                    awaitSpawnAfter(seen);
                }
                continue;
            } catch (RuntimeException | Error e) {
                // nothing reaps this process's children once this thread dies: keep going, but say so
                LOG.log(Level.ERROR, "reaper loop failed, retrying after a pause", e);
                awaitSpawnAfter(seen);
                continue;
            }
            dispatch(new Exit(waited.pid(), Exit.statusOf(waited.status()), Instant.now()));
        }
    }

    private long spawnsSoFar() {
        lock.lock();
        try {
            return spawnCount;
        } finally {
            lock.unlock();
        }
    }

    /**
     * No child to wait for: sleep until a spawn after {@code seen} (one may already have happened between
     * waitpid's ECHILD and here, hence the count), or for {@link #IDLE_WAIT_MILLIS} at most, after which
     * waitpid looks again for orphans the kernel re-parented to this subreaper.
     */
    private void awaitSpawnAfter(long seen) {
        lock.lock();
        try {
            long remaining = TimeUnit.MILLISECONDS.toNanos(IDLE_WAIT_MILLIS);
            while (spawnCount == seen && remaining > 0) {
                remaining = spawned.awaitNanos(remaining);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    private void dispatch(Exit exit) {
        CompletableFuture<Exit> awaitedExit;
        boolean quiet;
        lock.lock();
        try {
            awaitedExit = awaited.remove(exit.pid());
            quiet = detached.remove(exit.pid());
        } finally {
            lock.unlock();
        }
        if (quiet) return;
        // non-async dependents of the future run here, on the reaper thread, like subscribers
        if (awaitedExit != null) awaitedExit.complete(exit);
        for (Consumer<Exit> subscriber : subscribers) {
            try {
                subscriber.accept(exit);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "exit subscriber failed on pid " + exit.pid(), e);
            }
        }
    }
}
