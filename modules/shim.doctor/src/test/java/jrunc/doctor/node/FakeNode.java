package jrunc.doctor.node;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import jrunc.core.doctor.NodeSnapshot;
import jrunc.core.doctor.Roots;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.manager.SocketAddress;

/** A node laid out in a temp directory: state, socket dir and runc root, with real Unix sockets. */
final class FakeNode implements AutoCloseable {
    static final String CONTAINERD = "/run/containerd/containerd.sock";
    final Path state, sockets, runc;
    private final java.util.List<ServerSocketChannel> listeners = new java.util.ArrayList<>();

    FakeNode(Path root) throws IOException {
        state = Files.createDirectories(root.resolve("state"));
        sockets = Files.createDirectories(root.resolve("s"));
        runc = Files.createDirectories(root.resolve("runc"));
    }

    final OperatingSystem os = OperatingSystem.load();

    NodeScanner.Options options(String namespace) {
        try {
            return new NodeScanner.Options(new Roots(state.toRealPath(), sockets.toRealPath(), runc.toRealPath()),
                    namespace, Path.of("/proc"), Set.of(), Duration.ofMillis(100));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    NodeScanner scanner(String namespace) {
        return new NodeScanner(options(namespace), os);
    }

    Path bundle(String ns, String id) {
        return state.resolve(NodeSnapshot.TASK_DIR).resolve(ns).resolve(id);
    }

    /** A bundle with address, config, init.pid and an empty rootfs; its shim is live or dead. */
    Path task(String ns, String id, boolean live, int initPid) throws IOException {
        Path b = Files.createDirectories(bundle(ns, id));
        Files.createDirectories(b.resolve("rootfs"));
        Path socket = sockets.resolve(SocketAddress.hash(CONTAINERD, ns, id));
        if (live) listen(socket);
        else deadSocket(socket);
        Files.writeString(b.resolve("address"), SocketAddress.UNIX_PREFIX + socket);
        Files.writeString(b.resolve("config.json"), "{\"linux\":{\"cgroupsPath\":\"/" + ns + "/" + id + "\"}}");
        Files.writeString(b.resolve("init.pid"), Integer.toString(initPid));
        Files.writeString(b.resolve("runtime"), "");
        return b;
    }

    Path runcState(String ns, String id, int pid, long start) throws IOException {
        Path d = Files.createDirectories(runc.resolve(ns).resolve(id));
        Files.writeString(d.resolve("state.json"),
                "{\"id\":\"" + id + "\",\"init_process_pid\":" + pid + ",\"init_process_start\":" + start + "}");
        return d;
    }

    /** A socket a server accepts on, as a live shim's. */
    Path listen(Path socket) throws IOException {
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        ch.bind(UnixDomainSocketAddress.of(socket));
        listeners.add(ch);
        return socket;
    }

    /** A socket file nobody listens on: what a SIGKILLed shim leaves (the JDK does not unlink on close). */
    static Path deadSocket(Path socket) throws IOException {
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(socket));
        }
        return socket;
    }

    @Override
    public void close() throws IOException {
        for (ServerSocketChannel ch : listeners) ch.close();
    }
}
