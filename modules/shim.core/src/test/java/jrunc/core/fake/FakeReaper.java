package jrunc.core.fake;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import jrunc.core.spi.Exit;
import jrunc.core.spi.Reaper;
import jrunc.core.spi.Spawn;

/**
 * A reaper driven by hand: {@link #start} hands the spawn to a {@link Script} (the fake runc), and {@link #exit}
 * reports an exit to the started child's future and to every subscriber, as the real reaper does.
 */
public final class FakeReaper implements Reaper {
    /** Plays a started child: may write to its fds and call {@link #exit} for it (at once, or later). */
    @FunctionalInterface
    public interface Script {
        void run(Spawn spawn, int pid) throws IOException;
    }

    private final FakeOperatingSystem os;
    private final List<Consumer<Exit>> subscribers = new CopyOnWriteArrayList<>();
    private final Map<Integer, CompletableFuture<Exit>> children = new ConcurrentHashMap<>();
    private final Map<Integer, List<Object>> heldFds = new ConcurrentHashMap<>();
    public final List<Spawn> started = Collections.synchronizedList(new ArrayList<>());
    private volatile Script script = (spawn, pid) -> exit(pid, 0);
    private int nextPid = 1000; // guarded by this

    public FakeReaper(FakeOperatingSystem os) {
        this.os = os;
    }

    public void script(Script script) {
        this.script = script;
    }

    public synchronized int allocatePid() {
        return nextPid++;
    }

    @Override
    public Child start(Spawn spawn) throws IOException {
        int pid = allocatePid();
        CompletableFuture<Exit> future = new CompletableFuture<>();
        children.put(pid, future);
        heldFds.put(pid, os.retain(spawn.fds()));
        started.add(spawn);
        script.run(spawn, pid);
        return new Child(pid, future);
    }

    @Override
    public AutoCloseable subscribe(Consumer<Exit> subscriber) {
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    /** The process {@code pid} exited with {@code status}: its fds close, its waiter and the subscribers hear of it. */
    public void exit(int pid, int status) {
        Exit exit = new Exit(pid, status, Instant.now());
        List<Object> held = heldFds.remove(pid);
        if (held != null) os.releaseAll(held);
        CompletableFuture<Exit> future = children.remove(pid);
        if (future != null) future.complete(exit);
        for (Consumer<Exit> s : subscribers) s.accept(exit);
    }

    /** A child started through {@link #start} that has not exited. */
    public boolean isRunning(int pid) {
        return children.containsKey(pid);
    }

    public List<List<String>> argvs() {
        synchronized (started) {
            return started.stream().map(Spawn::argv).toList();
        }
    }
}
