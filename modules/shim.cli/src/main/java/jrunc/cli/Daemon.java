package jrunc.cli;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import jdk.net.UnixDomainPrincipal;
import jrunc.core.events.EventPublisher;
import jrunc.core.events.RemoteEventPublisher;
import jrunc.core.manager.BundleFiles;
import jrunc.core.manager.ShimFlags;
import jrunc.core.manager.SocketAddress;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.task.TaskHandlers;
import jrunc.core.task.TaskService;
import jrunc.core.ttrpc.ServiceRegistry;
import jrunc.core.ttrpc.TtrpcServer;

/**
 * The long-lived daemon (containerd v1.6.20 runtime/v2/shim/shim.go, run), in two halves: {@link #prepare}, what
 * needs neither the task nor its socket (child subreaper, the event publisher, the Task service), and
 * {@link #serve}, the Task API on the task's socket until Shutdown or SIGTERM. A daemon {@code start} spawns runs
 * both at once ({@link ServeCommand}); a warm spare ({@link SpareCommand}) runs the first half when it boots and the
 * second once a {@code start} has handed it a task.
 */
final class Daemon {
    /** The runc shim waits up to 5 s for its publisher to drain at exit. */
    private static final Duration PUBLISHER_DRAIN = Duration.ofSeconds(5);
    private static final System.Logger LOG = System.getLogger("jrunc.shim");
    static final String TASK_V3 = "containerd.task.v3.Task";

    private final OperatingSystem os;
    private final EventPublisher publisher;
    private final TaskService tasks;
    private final ServiceRegistry registry = new ServiceRegistry();
    private final CountDownLatch shutdown = new CountDownLatch(1);
    /** Counted down once the socket is removed and the publisher drained: a SIGTERM hook waits for it. */
    private final CountDownLatch stopped = new CountDownLatch(1);

    private Daemon(OperatingSystem os, EventPublisher publisher, String namespace) {
        this.os = os;
        this.publisher = publisher;
        this.tasks = new TaskService(os, publisher::publish, namespace, shutdown::countDown);
        TaskHandlers.register(registry, tasks);
        // containerd 2.x calls containerd.task.v3.Task on a shim of protocol version 3: the same messages
        registry.alias(TASK_V3, TaskHandlers.SERVICE);
    }

    /** Child subreaper, the publisher to {@code $TTRPC_ADDRESS}, the Task service: the daemon before its task. */
    static Daemon prepare(ShimFlags flags, OperatingSystem os) throws IOException {
        os.becomeChildSubreaper();
        return new Daemon(os, eventPublisher(), flags.namespace());
    }

    /**
     * Serves the Task API on {@code listener} (the socket at {@code socket}) until Shutdown once no task is left, or
     * SIGTERM; then removes the socket, as Go's shim does, and drains the publisher. Returns the exit code.
     */
    int serve(ServerSocketChannel listener, Path socket) {
        TtrpcServer server;
        try {
            server = new TtrpcServer(listener, registry, samePrincipalAs(Path.of("/proc/self"))).start();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "shim failed to start serving", e);
            return 1;
        }
        // SIGTERM/SIGINT end the shim even with tasks registered (containerd v1.6.20 runtime/v2/shim/shim.go, run).
        // The JVM halts once its hooks return, so the hook waits for the exit sequence below instead of racing it.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            shutdown.countDown();
            try {
                stopped.await(PUBLISHER_DRAIN.toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "shim-sigterm"));
        ThreadDump.onSigusr1(server::threads);
        LOG.log(Level.INFO, "jrunc shim serving on {0} (pid {1})", socket, String.valueOf(os.pid()));
        try {
            shutdown.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.log(Level.INFO, "shim shutting down");
        // The order of the Go shim's exit (containerd v1.6.20 runtime/v2/shim/shim.go, run): socket first, so a new
        // start for this group binds afresh.
        removeSocket(socket);
        server.close();
        tasks.close();
        publisher.close(PUBLISHER_DRAIN);
        stopped.countDown();
        return 0;
    }

    /** Ends a daemon that never served (a spare that gives up): the Task service and the publisher. */
    void discard() {
        tasks.close();
        publisher.close(Duration.ZERO);
    }

    /**
     * Events go to containerd's ttrpc socket ({@code $TTRPC_ADDRESS}, set by containerd on start). Without it (a shim
     * run by hand) events are logged and dropped.
     */
    private static EventPublisher eventPublisher() {
        String address = System.getenv("TTRPC_ADDRESS");
        if (address == null || address.isEmpty()) {
            LOG.log(Level.WARNING, "TTRPC_ADDRESS is not set: task events will not reach containerd");
            return new EventPublisher() {
                @Override
                public void publish(String namespace, String topic, com.google.protobuf.Message event) {
                    LOG.log(Level.DEBUG, "event {0} dropped (no TTRPC_ADDRESS)", topic);
                }

                @Override
                public void close(Duration drain) {}
            };
        }
        return new RemoteEventPublisher(Path.of(address.startsWith(SocketAddress.UNIX_PREFIX)
                ? address.substring(SocketAddress.UNIX_PREFIX.length()) : address));
    }

    private static void removeSocket(Path socket) {
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "removing socket " + socket, e);
        }
    }

    /**
     * The peer must run as our effective uid and gid (SO_PEERCRED), as containerd's shims require. {@code /proc/self}
     * is owned by exactly those, and the JDK names both sides the same way.
     */
    private static Predicate<UnixDomainPrincipal> samePrincipalAs(Path ownedByUs) throws IOException {
        PosixFileAttributes self = Files.readAttributes(ownedByUs, PosixFileAttributes.class);
        String user = self.owner().getName();
        String group = self.group().getName();
        return peer -> peer.user().getName().equals(user) && peer.group().getName().equals(group);
    }

    /**
     * stderr → the bundle's {@code log} FIFO. containerd holds its end open read-write, so a non-blocking open
     * succeeds at once; writes stay non-blocking, so a containerd that stops reading loses log lines, never the shim.
     */
    static void redirectLogToFifo(OperatingSystem os, Path bundle) {
        Path fifo = bundle.resolve(BundleFiles.LOG);
        if (!Files.exists(fifo)) return;
        try {
            int fd = os.open(fifo, OperatingSystem.OpenFlags.O_WRONLY | OperatingSystem.OpenFlags.O_NONBLOCK
                    | OperatingSystem.OpenFlags.O_CLOEXEC, 0);
            os.redirectStderr(fd);
            os.close(fd);
        } catch (IOException e) {
            // Nobody reads the FIFO (ENXIO): keep stderr, which start pointed at /dev/null.
        }
    }
}
