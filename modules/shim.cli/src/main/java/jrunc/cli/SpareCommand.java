package jrunc.cli;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import jrunc.core.manager.ShimFlags;
import jrunc.core.manager.ShimSocket;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.SocketProbe;
import jrunc.core.manager.SpareFaults;
import jrunc.core.manager.SpareHandoff;
import jrunc.core.manager.SpareKey;
import jrunc.core.manager.SpareProtocol.Request;
import jrunc.core.manager.StartPlan;
import jrunc.core.spi.HandoffConnection;
import jrunc.core.spi.OperatingSystem;

/**
 * A warm spare ({@code -spare}, booted by {@link Spares}): the daemon of a task that has not asked for one yet. It
 * binds its rendezvous socket ({@link SpareKey}; a live one of its key there, and it exits), boots as a daemon does
 * ({@link Daemon#prepare}: child subreaper, publisher, Task service), and answers {@code start}s there
 * ({@link SpareHandoff#answer}). Handed a task's listener, it becomes that task's daemon exactly as one spawned by
 * {@code start} would be — its working directory the bundle, its cgroup and OOM score what {@code start} gives a
 * daemon, its command line rewritten to that daemon's, its log the bundle's {@code log} FIFO — and serves
 * ({@link Daemon#serve}).
 *
 * <p>It never touches a task before that, and owns nothing but its rendezvous socket, which it removes when it
 * exits: after {@code -spare-idle} with no task, once its containerd has stopped accepting on {@code -address}
 * (two checks in a row), once its image has been replaced, or on SIGTERM.
 */
final class SpareCommand {
    private static final System.Logger LOG = System.getLogger("jrunc.shim");
    /** How often a spare checks its containerd, its image and its idle time. */
    private static final Duration WATCH_INTERVAL = Duration.ofSeconds(2);
    private static final Duration ACCEPT_POLL = Duration.ofMillis(500);

    private final ShimFlags flags;
    private final OperatingSystem os;
    private final AtomicBoolean taken = new AtomicBoolean();
    /** The task's listener once adopted and told DONE, or null when the spare is to end. */
    private final CompletableFuture<Adopted> outcome = new CompletableFuture<>();
    private volatile Adopted adopted;
    /** The rendezvous socket and the file this spare bound there, unlinked as soon as a start has told it GO. */
    private Path rendezvous;
    private Object bound;

    /** The task's listening fd (still the raw one the hand-off brought) and its socket. */
    private record Adopted(int listener, Path socket) {}

    SpareCommand(ShimFlags flags) {
        this.flags = flags;
        this.os = OperatingSystem.load();
    }

    int run() {
        ShimLog.configure(flags.debug(), flags.namespace(), "spare");
        String binary = System.getProperty("jrunc.shim.binary");
        String image = Spares.imageIdentity();
        if (binary == null || image == null) {
            LOG.log(Level.ERROR, "a spare needs its launcher (jrunc.shim.binary) and its image");
            return 2;
        }
        SpareKey key = SpareKey.of(binary, image, flags, System.getenv());
        SpareFaults faults = SpareFaults.of(os, System.getenv());
        rendezvous = key.socket(Path.of(SocketAddress.SOCKET_DIR));
        int listener;
        try {
            Files.createDirectories(rendezvous.getParent());
            // a live spare of this key keeps its socket; a dead one's (refusing) is replaced, as start replaces a
            // killed shim's
            if (!(new ShimSocket(os).bind(rendezvous) instanceof ShimSocket.Binding.Listening l)) return 0;
            listener = l.fd();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "spare failed to bind " + rendezvous, e);
            return 1;
        }
        bound = fileKey(rendezvous);
        Thread cleanup = new Thread(() -> removeIfOurs(rendezvous, bound), "spare-sigterm");
        Runtime.getRuntime().addShutdownHook(cleanup);
        Daemon daemon;
        try {
            daemon = Daemon.prepare(flags, os);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "spare failed to boot", e);
            os.close(listener);
            removeIfOurs(rendezvous, bound);
            return 1;
        }
        Thread.ofPlatform().name("spare-watch").daemon().stackSize(256 * 1024)
                .start(() -> watch(key, image, flags.spareIdle()));
        // the acceptor alone uses the rendezvous fd, and closes it when it stops: its number is never reused under it
        Thread.ofPlatform().name("spare-accept").daemon().stackSize(256 * 1024).start(() -> {
            try {
                accept(listener, key, faults);
            } finally {
                os.close(listener);
            }
        });
        Adopted serving;
        try {
            serving = outcome.get();
        } catch (InterruptedException | ExecutionException e) {
            serving = null;
        }
        removeIfOurs(rendezvous, bound);
        Runtime.getRuntime().removeShutdownHook(cleanup);
        if (serving == null) {
            daemon.discard();
            return 0;
        }
        ServerSocketChannel channel;
        try {
            // only now, once start has printed the address: until then the fd is the hand-off's to let go
            channel = os.inheritedListener(serving.listener());
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "warm spare cannot serve the task's listener", e);
            return 1;
        }
        return daemon.serve(channel, serving.socket());
    }

    /** Accepts on the rendezvous socket until the spare is adopted or ends; one thread per connection. */
    private void accept(int listener, SpareKey key, SpareFaults faults) {
        while (!outcome.isDone()) {
            HandoffConnection c;
            try {
                c = os.acceptHandoff(listener, ACCEPT_POLL, () -> faults.at(SpareFaults.Step.SPARE_BEFORE_ACCEPT));
            } catch (IOException | RuntimeException e) {
                if (outcome.isDone()) return;
                LOG.log(Level.WARNING, "spare: accept on its rendezvous socket: " + e.getMessage());
                outcome.complete(null);
                return;
            }
            if (c == null) continue;
            Thread.ofPlatform().name("spare-handoff").daemon().stackSize(512 * 1024).start(() -> {
                try (c) {
                    SpareHandoff.Answered a = SpareHandoff.answer(os, c, key, taken, this::adopt,
                            SpareHandoff.Timeouts.DEFAULT, faults);
                    switch (a) {
                        case SERVE -> outcome.complete(adopted);
                        case END -> outcome.complete(null);
                        case STILL_SPARE -> { }
                    }
                }
            });
        }
    }

    /**
     * Becomes the daemon {@code start} would have spawned for the request. Each step may fail; the caller then lets
     * the listener go and the spare ends, so a half-changed spare never serves.
     */
    private void adopt(Request r, int listenerFd) throws IOException {
        // this spare is spent: its name goes now, so the next one, which start boots once it has printed the
        // address, binds it afresh (the fd stays open until the acceptor has stopped polling it)
        removeIfOurs(rendezvous, bound);
        List<String> args = new ArrayList<>(List.of("-namespace", r.key().namespace(), "-id", r.id(), "-address",
                r.key().address()));
        if (r.key().debug()) args.add("-debug");
        ShimFlags daemonFlags = ShimFlags.parse(args);
        StartPlan.Request start = new StartPlan.Request(daemonFlags, r.bundle(), r.stdin(),
                List.of(r.key().binary()), r.parentPid(), r.schedCore());
        StartPlan plan = new StartPlan(os);
        StartPlan.Bound bound = plan.handedOver(start, r.socket(), listenerFd);
        os.changeDirectory(r.bundle());
        plan.adopt(start, bound, os.pid());
        os.rewriteCommandLine(daemonCommandLine(daemonFlags));
        Daemon.redirectLogToFifo(os, r.bundle());
        ShimLog.configure(daemonFlags.debug(), daemonFlags.namespace(), daemonFlags.id());
        adopted = new Adopted(listenerFd, r.socket());
        LOG.log(Level.INFO, "warm spare (pid {0}) takes over task {1}", String.valueOf(os.pid()), r.id());
    }

    /** This JVM's own command line up to its {@code -namespace}, then the daemon's flags as start gives them. */
    private static List<String> daemonCommandLine(ShimFlags daemon) throws IOException {
        List<String> now = commandLine();
        int flagsAt = now.lastIndexOf("-namespace");
        if (flagsAt < 0) throw new IOException("no -namespace in this spare's command line " + now);
        return StartPlan.daemonArgv(now.subList(0, flagsAt), daemon.namespace(), daemon.id(), daemon.address(),
                daemon.debug());
    }

    /** {@code /proc/self/cmdline}, split at its NULs. */
    private static List<String> commandLine() throws IOException {
        List<String> argv = new ArrayList<>();
        byte[] raw = Files.readAllBytes(Path.of("/proc/self/cmdline"));
        int from = 0;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == 0) {
                argv.add(new String(raw, from, i - from, StandardCharsets.UTF_8));
                from = i + 1;
            }
        }
        return argv;
    }

    /**
     * Ends the spare, unless a start holds it, once it has been idle for {@code idle}, once its containerd has
     * stopped accepting at two checks in a row, or once its image has been replaced (an upgrade).
     */
    private void watch(SpareKey key, String image, Duration idle) {
        Path containerd = Path.of(key.address());
        SocketProbe probe = new SocketProbe(os, SocketProbe.DEFAULT_TIMEOUT);
        long idleUntil = System.nanoTime() + idle.toNanos();
        int gone = 0;
        while (!outcome.isDone()) {
            try {
                Thread.sleep(WATCH_INTERVAL);
            } catch (InterruptedException e) {
                return;
            }
            if (taken.get()) {
                idleUntil = System.nanoTime() + idle.toNanos();
                continue;
            }
            gone = probe.probe(containerd).mayBeServed() ? 0 : gone + 1;
            String why = gone >= 2 ? "containerd at " + containerd + " is gone"
                    : !image.equals(Spares.imageIdentity()) ? "its runtime image was replaced"
                    : System.nanoTime() - idleUntil > 0 ? "idle for " + idle.toSeconds() + " s" : null;
            if (why != null && taken.compareAndSet(false, true)) {
                LOG.log(Level.INFO, "warm spare ends: " + why);
                outcome.complete(null);
            }
        }
    }

    /** Removes the rendezvous socket if it is still the file this spare bound (a later spare may have its own). */
    private static void removeIfOurs(Path socket, Object bound) {
        if (bound == null || !bound.equals(fileKey(socket))) return;
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "removing " + socket + ": " + e.getMessage());
        }
    }

    private static Object fileKey(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }
}
