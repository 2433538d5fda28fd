package jrunc.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code ctr} bound to one private containerd, one namespace and one shim: what a test uses to run tasks exactly
 * as a user would. Every {@code run} goes through {@code --runtime <shim>} with the busybox image.
 */
public final class Ctr {

    private static final Duration SUBSCRIBE_TIMEOUT = Duration.ofSeconds(10);

    private final PrivateContainerd containerd;
    private final String namespace;
    private final Shim shim;

    Ctr(PrivateContainerd containerd, String namespace, Shim shim) {
        this.containerd = containerd;
        this.namespace = namespace;
        this.shim = shim;
    }

    public PrivateContainerd containerd() {
        return containerd;
    }

    public String namespace() {
        return namespace;
    }

    public Shim shim() {
        return shim;
    }

    /** The task's bundle under containerd's state directory. */
    public Path bundle(String id) {
        return containerd.bundle(namespace, id);
    }

    /** {@code ctr -n <namespace> args...}. */
    public CtrResult ctr(String... args) {
        return containerd.ctr(namespaced(args));
    }

    public CtrResult ctr(Duration timeout, String... args) {
        return containerd.ctr(timeout, namespaced(args));
    }

    /** {@code ctr run --rm --runtime <shim> IMAGE id command...}: runs in the foreground, then removes it. */
    public CtrResult run(String id, String... command) {
        return run(List.of("--rm"), id, command);
    }

    /** {@code ctr run -d --runtime <shim> IMAGE id command...}: returns once the task is started. */
    public CtrResult runDetached(String id, String... command) {
        return run(List.of("-d"), id, command);
    }

    /** {@code ctr run <flags> --runtime <shim> IMAGE id command...}. */
    public CtrResult run(List<String> flags, String id, String... command) {
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(flags);
        args.addAll(List.of("--runtime", shim.runtime(), BusyboxImage.REF, id));
        args.addAll(List.of(command));
        return ctr(args.toArray(String[]::new));
    }

    /**
     * {@code ctr run --rm --runtime <shim> IMAGE id command...} with {@code input} as ctr's standard input, which
     * ctr copies to the task's stdin.
     */
    public CtrResult runWithInput(String input, String id, String... command) {
        List<String> args = new ArrayList<>(List.of("-n", namespace, "run", "--rm", "--runtime", shim.runtime(),
                BusyboxImage.REF, id));
        args.addAll(List.of(command));
        Path file = null;
        try {
            file = Files.createTempFile("jrunc-e2e-stdin-", ".txt");
            Files.writeString(file, input);
            return Commands.run(containerd.ctrCommand(args.toArray(String[]::new)), Duration.ofSeconds(60),
                    file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (file != null) file.toFile().delete();
        }
    }

    /** The task as {@code ctr task ls} shows it, if it is listed. */
    public Optional<Task> task(String id) {
        CtrResult listed = ctr("task", "ls").requireSuccess();
        return listed.stdout().lines()
                .skip(1) // TASK PID STATUS
                .map(line -> line.trim().split("\\s+"))
                .filter(columns -> columns.length == 3 && columns[0].equals(id))
                .map(columns -> new Task(columns[0], Long.parseLong(columns[1]), columns[2]))
                .findFirst();
    }

    /** Polls {@code ctr task ls} until the task shows the status, failing with what it last showed. */
    public Task awaitTaskStatus(String id, String status, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        Optional<Task> last = Optional.empty();
        while (Instant.now().isBefore(deadline)) {
            last = task(id);
            if (last.isPresent() && last.get().status().equals(status)) {
                return last.get();
            }
            PrivateContainerd.pause(Duration.ofMillis(50));
        }
        throw new AssertionError("task " + id + " not " + status + " within " + timeout + "; last seen: "
                + last.map(Task::toString).orElse("not listed"));
    }

    /**
     * Starts {@code ctr events} for this namespace and returns once it is known to receive events, so nothing a
     * test does afterwards can be missed.
     */
    public BackgroundCtr events() {
        BackgroundCtr events = containerd.ctrInBackground(namespaced("events", "namespace==" + namespace));
        // ctr prints nothing when its subscription is in place; touch the namespace until the echo comes back.
        Instant deadline = Instant.now().plus(SUBSCRIBE_TIMEOUT);
        for (int probe = 0; ; probe++) {
            ctr("namespaces", "label", namespace, "jrunc.e2e.probe=" + probe).requireSuccess();
            try {
                events.awaitLine(line -> line.contains("/namespaces/update"), Duration.ofMillis(200));
                return events;
            } catch (AssertionError notYet) {
                if (Instant.now().isAfter(deadline) || !events.isAlive()) {
                    events.close();
                    throw new AssertionError("ctr events did not subscribe within " + SUBSCRIBE_TIMEOUT
                            + "; output: " + events.lines(), notYet);
                }
            }
        }
    }

    /** Best effort: removes every task and container of this namespace. */
    void removeAll() {
        containerd.removeTasksAndContainers(namespace);
    }

    private String[] namespaced(String... args) {
        List<String> all = new ArrayList<>(List.of("-n", namespace));
        all.addAll(List.of(args));
        return all.toArray(String[]::new);
    }

    /** One row of {@code ctr task ls}. */
    public record Task(String id, long pid, String status) {
    }
}
