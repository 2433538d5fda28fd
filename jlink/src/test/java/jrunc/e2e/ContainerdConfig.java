package jrunc.e2e;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The config.toml of a private containerd: everything it writes (metadata, bundles, sockets) lives under one
 * directory, so several of them can run beside each other and beside the host's own containerd.
 *
 * <p>Shim sockets are the exception: containerd 1.6 hard-codes them under {@code /run/containerd/s}
 * (containerd v1.6.20 runtime/v2/shim/util_unix.go, SocketAddress). They do not collide, because their names hash
 * our own grpc address.
 */
record ContainerdConfig(Path dir) {

    /**
     * Plugins that cannot work on this host and would only fill the log with errors, plus CRI, which we do not
     * drive. {@code opt} is disabled because it would create {@code /opt/containerd} outside our directory.
     */
    static final List<String> DISABLED_PLUGINS = List.of(
            "io.containerd.grpc.v1.cri",
            "io.containerd.internal.v1.opt",
            "io.containerd.snapshotter.v1.aufs",
            "io.containerd.snapshotter.v1.btrfs",
            "io.containerd.snapshotter.v1.devmapper",
            "io.containerd.snapshotter.v1.zfs");

    Path file() {
        return dir.resolve("config.toml");
    }

    Path root() {
        return dir.resolve("root");
    }

    Path state() {
        return dir.resolve("state");
    }

    /** The grpc socket, which is also the {@code -address} every shim of this containerd is given. */
    Path grpcAddress() {
        return dir.resolve("containerd.sock");
    }

    Path ttrpcAddress() {
        return dir.resolve("containerd.sock.ttrpc");
    }

    Path log() {
        return dir.resolve("containerd.log");
    }

    /** Bundles live here, one directory per namespace, one per task inside that (containerd v1.6.20
     * runtime/v2/bundle.go). */
    Path bundles() {
        return state().resolve("io.containerd.runtime.v2.task");
    }

    String toml() {
        return """
                version = 2
                root = %s
                state = %s
                disabled_plugins = [%s]

                [grpc]
                  address = %s

                [ttrpc]
                  address = %s

                [debug]
                  level = "debug"
                """.formatted(
                quote(root()), quote(state()),
                DISABLED_PLUGINS.stream().map(ContainerdConfig::quote).collect(Collectors.joining(", ")),
                quote(grpcAddress()), quote(ttrpcAddress()));
    }

    private static String quote(Object value) {
        // Temp paths hold no quotes or backslashes; refuse rather than write a broken file if one ever does.
        String text = value.toString();
        if (text.contains("\"") || text.contains("\\")) {
            throw new IllegalArgumentException("cannot quote for TOML: " + text);
        }
        return '"' + text + '"';
    }
}
