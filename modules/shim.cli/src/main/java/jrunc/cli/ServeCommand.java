package jrunc.cli;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import jdk.net.UnixDomainPrincipal;
import jrunc.core.manager.BundleFiles;
import jrunc.core.manager.ShimFlags;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.StartPlan;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.events.EventPublisher;
import jrunc.core.events.RemoteEventPublisher;
import jrunc.core.task.TaskHandlers;
import jrunc.core.task.TaskService;
import jrunc.core.ttrpc.ServiceRegistry;
import jrunc.core.ttrpc.TtrpcServer;

/**
 * Serve mode: the long-lived daemon {@code start} spawned (containerd v1.6.20 runtime/v2/shim/shim.go, run). It
 * serves the Task API on the socket it
 * inherited as fd 3 (or {@code -socket}), logs into the bundle's {@code log} FIFO, reaps as a child subreaper, and
 * exits on {@code Shutdown} once it serves no task, or on SIGTERM, removing its socket on the way out.
 */
final class ServeCommand {
    /** The runc shim waits up to 5 s for its publisher to drain at exit. */
    private static final Duration PUBLISHER_DRAIN = Duration.ofSeconds(5);
    private static final System.Logger LOG = System.getLogger("jrunc.shim");
    static final String TASK_V3 = "containerd.task.v3.Task";

    private final ShimFlags flags;
    private final CountDownLatch shutdown = new CountDownLatch(1);
    /** Counted down once the socket is removed and the publisher drained: a SIGTERM hook waits for it. */
    private final CountDownLatch stopped = new CountDownLatch(1);

    ServeCommand(ShimFlags flags) {
        this.flags = flags;
    }

    int run() {
        ShimLog.configure(flags.debug(), flags.namespace(), flags.id());
        OperatingSystem os = OperatingSystem.load();
        Path bundle = Path.of("").toAbsolutePath();
        redirectLogToFifo(os, bundle);
        Path socket;
        TtrpcServer server;
        EventPublisher publisher;
        TaskService tasks;
        try {
            os.becomeChildSubreaper();
            socket = socketPath(bundle);
            ServerSocketChannel listener = flags.socket().isEmpty() ? os.inheritedListener(StartPlan.LISTENER_FD) : bind(socket);
            publisher = eventPublisher();
            EventPublisher events = publisher;
            String namespace = flags.namespace();
            tasks = new TaskService(os, (topic, event) -> events.publish(namespace, topic, event), namespace,
                    shutdown::countDown);
            ServiceRegistry registry = new ServiceRegistry();
            TaskHandlers.register(registry, tasks);
            // containerd 2.x calls containerd.task.v3.Task on a shim of protocol version 3: the same messages
            registry.alias(TASK_V3, TaskHandlers.SERVICE);
            server = new TtrpcServer(listener, registry, samePrincipalAs(Path.of("/proc/self"))).start();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "shim failed to start serving", e);
            return 1;
        }
        // SIGTERM/SIGINT end the shim even with tasks registered (containerd v1.6.20 runtime/v2/shim/shim.go, run).
        // The JVM halts once its hooks return,
        // so the hook waits for the exit sequence below instead of racing it.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            shutdown.countDown();
            try {
                stopped.await(PUBLISHER_DRAIN.toMillis() + 1000, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "shim-sigterm"));
        TtrpcServer serving = server;
        ThreadDump.onSigusr1(serving::threads);
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

    /**
     * Where this shim's socket lives: {@code -socket}, else the {@code address} file {@code start} wrote in the bundle
     * that started us. Read once now: containerd may delete that bundle while the shim serves other tasks of its group.
     */
    private Path socketPath(Path bundle) throws IOException {
        if (!flags.socket().isEmpty()) return Path.of(flags.socket());
        Path addressFile = bundle.resolve(BundleFiles.ADDRESS);
        if (Files.exists(addressFile)) return SocketAddress.path(Files.readString(addressFile).trim());
        return SocketAddress.path(SocketAddress.of(flags.address(), flags.namespace(), flags.id()));
    }

    private static ServerSocketChannel bind(Path socket) throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        ch.bind(UnixDomainSocketAddress.of(socket));
        return ch;
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
    private static java.util.function.Predicate<UnixDomainPrincipal> samePrincipalAs(Path ownedByUs) throws IOException {
        PosixFileAttributes self = Files.readAttributes(ownedByUs, PosixFileAttributes.class);
        String user = self.owner().getName();
        String group = self.group().getName();
        return peer -> peer.user().getName().equals(user) && peer.group().getName().equals(group);
    }

    /**
     * stderr → the bundle's {@code log} FIFO. containerd holds its end open read-write, so a non-blocking open
     * succeeds at once; writes stay non-blocking, so a containerd that stops reading loses log lines, never the shim.
     */
    private static void redirectLogToFifo(OperatingSystem os, Path bundle) {
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
