package jrunc.cli;

import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.concurrent.CountDownLatch;
import jdk.net.UnixDomainPrincipal;
import jrunc.core.manager.BundleFiles;
import jrunc.core.manager.ShimFlags;
import jrunc.core.manager.SocketAddress;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.ttrpc.ServiceRegistry;
import jrunc.core.ttrpc.TtrpcException;
import jrunc.core.ttrpc.TtrpcServer;
import jrunc.proto.task.ConnectRequest;
import jrunc.proto.task.ConnectResponse;
import jrunc.proto.task.ShutdownRequest;

/**
 * Serve mode: the long-lived daemon {@code start} spawned (contract §1.10). It serves the Task API on the socket it
 * inherited as fd 3 (or {@code -socket}), logs into the bundle's {@code log} FIFO, reaps as a child subreaper, and
 * exits on {@code Shutdown} once it serves no task, or on SIGTERM, removing its socket on the way out.
 */
final class ServeCommand {
    static final String TASK_SERVICE = "containerd.task.v2.Task";
    private static final System.Logger LOG = System.getLogger("jrunc.shim");
    private static final int LISTENER_FD = 3;

    private final ShimFlags flags;
    private final CountDownLatch shutdown = new CountDownLatch(1);

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
        try {
            os.becomeChildSubreaper();
            socket = socketPath(bundle);
            ServerSocketChannel listener = flags.socket().isEmpty() ? os.inheritedListener(LISTENER_FD) : bind(socket);
            ServiceRegistry registry = new ServiceRegistry();
            registerShimMethods(registry, os);
            server = new TtrpcServer(listener, registry, samePrincipalAs(Path.of("/proc/self"))).start();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "shim failed to start serving", e);
            return 1;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(shutdown::countDown, "shim-sigterm"));
        LOG.log(Level.INFO, "jrunc shim serving on {0} (pid {1})", socket, String.valueOf(os.pid()));
        try {
            shutdown.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.log(Level.INFO, "shim shutting down");
        removeSocket(socket);
        server.close();
        return 0;
    }

    /** Connect and Shutdown: what a shim answers before it has any task (the Task methods come with the Task service). */
    private void registerShimMethods(ServiceRegistry registry, OperatingSystem os) {
        int pid = os.pid();
        registry.register(TASK_SERVICE, "Connect", (ctx, payload) -> {
            parse(() -> ConnectRequest.parseFrom(payload));
            return ConnectResponse.newBuilder().setShimPid(pid).build().toByteArray();
        });
        registry.register(TASK_SERVICE, "Shutdown", (ctx, payload) -> {
            parse(() -> ShutdownRequest.parseFrom(payload));
            shutdown.countDown();
            return Empty.getDefaultInstance().toByteArray();
        });
    }

    interface Parser<T> {
        T parse() throws InvalidProtocolBufferException;
    }

    static <T> T parse(Parser<T> parser) throws TtrpcException {
        try {
            return parser.parse();
        } catch (InvalidProtocolBufferException e) {
            throw TtrpcException.invalidArgument("cannot decode request: " + e.getMessage());
        }
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
