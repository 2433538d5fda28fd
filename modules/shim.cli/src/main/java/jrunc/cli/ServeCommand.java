package jrunc.cli;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import jrunc.core.manager.BundleFiles;
import jrunc.core.manager.ShimFlags;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.StartPlan;
import jrunc.core.spi.OperatingSystem;

/**
 * Serve mode: the long-lived daemon {@code start} spawned (containerd v1.6.20 runtime/v2/shim/shim.go, run). It
 * serves the Task API on the socket it inherited as fd 3 (or {@code -socket}), logs into the bundle's {@code log}
 * FIFO, reaps as a child subreaper, and exits on {@code Shutdown} once it serves no task, or on SIGTERM, removing
 * its socket on the way out ({@link Daemon}).
 */
final class ServeCommand {
    private static final System.Logger LOG = System.getLogger("jrunc.shim");

    private final ShimFlags flags;

    ServeCommand(ShimFlags flags) {
        this.flags = flags;
    }

    int run() {
        ShimLog.configure(flags.debug(), flags.namespace(), flags.id());
        OperatingSystem os = OperatingSystem.load();
        Path bundle = Path.of("").toAbsolutePath();
        Daemon.redirectLogToFifo(os, bundle);
        Daemon daemon;
        Path socket;
        ServerSocketChannel listener;
        try {
            daemon = Daemon.prepare(flags, os);
            socket = socketPath(bundle);
            listener = flags.socket().isEmpty() ? os.inheritedListener(StartPlan.LISTENER_FD) : bind(socket);
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.ERROR, "shim failed to start serving", e);
            return 1;
        }
        return daemon.serve(listener, socket);
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
}
