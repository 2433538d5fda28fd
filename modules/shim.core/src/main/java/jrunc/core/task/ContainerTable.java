package jrunc.core.task;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The shim's containers by id, and the Creates in flight. A lookup of an id whose Create is under way waits for that
 * Create to end, as containerd's shim holds its service lock across Create (containerd v1.6.20
 * runtime/v2/runc/task/service.go): a State or Connect from a containerd that restarted meanwhile then finds the
 * task instead of "not created".
 */
final class ContainerTable {
    private final Object lock = new Object();
    private final Map<String, Container> containers = new HashMap<>(); // guarded by lock
    private final Map<String, CompletableFuture<Void>> creating = new HashMap<>(); // guarded by lock

    /** A Create of {@code id} begins; ALREADY_EXISTS while the id is taken or being created. */
    CompletableFuture<Void> reserve(String id) throws TaskException {
        synchronized (lock) {
            if (containers.containsKey(id) || creating.containsKey(id)) {
                throw TaskException.alreadyExists("container " + id + ": already exists");
            }
            CompletableFuture<Void> done = new CompletableFuture<>();
            creating.put(id, done);
            return done;
        }
    }

    /** The Create holding {@code done} has made its container: from now on it is found. */
    void add(Container c) {
        synchronized (lock) {
            containers.put(c.id(), c);
        }
    }

    /** The Create of {@code id} has ended, made or not: lookups waiting for it go on. */
    void release(String id, CompletableFuture<Void> done) {
        synchronized (lock) {
            creating.remove(id, done);
        }
        done.complete(null);
    }

    void remove(Container c) {
        synchronized (lock) {
            containers.remove(c.id(), c);
        }
    }

    /** Whether {@code c} is still the container of its id (not deleted meanwhile). */
    boolean holds(Container c) {
        synchronized (lock) {
            return containers.get(c.id()) == c;
        }
    }

    /** The container, once a Create of that id still in flight has ended; null when there is none. */
    Container lookup(String id) {
        CompletableFuture<Void> inFlight;
        synchronized (lock) {
            Container c = containers.get(id);
            if (c != null) return c;
            inFlight = creating.get(id);
        }
        if (inFlight == null) return null;
        inFlight.join();
        synchronized (lock) {
            return containers.get(id);
        }
    }

    /** No container and no Create in flight: the shim may go. */
    boolean isIdle() {
        synchronized (lock) {
            return containers.isEmpty() && creating.isEmpty();
        }
    }

    List<Container> all() {
        synchronized (lock) {
            return List.copyOf(containers.values());
        }
    }
}
