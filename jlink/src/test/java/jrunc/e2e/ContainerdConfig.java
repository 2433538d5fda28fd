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
record ContainerdConfig(Path dir, int version, String plugins) {

    /**
     * Plugins that cannot work on this host and would only fill the log with errors. {@code opt} is disabled because
     * it would create {@code /opt/containerd} outside our directory, NRI because it would listen on
     * {@code /var/run/nri/nri.sock}, shared by every containerd on the host.
     */
    static final List<String> DISABLED_PLUGINS = List.of(
            "io.containerd.internal.v1.opt",
            "io.containerd.nri.v1.nri",
            "io.containerd.snapshotter.v1.aufs",
            "io.containerd.snapshotter.v1.btrfs",
            "io.containerd.snapshotter.v1.devmapper",
            "io.containerd.snapshotter.v1.zfs");

    /** The CRI plugin (containerd 2.x split it into a service, a runtime and an image plugin); off unless asked. */
    static final List<String> CRI_PLUGINS = List.of(
            "io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images");

    /** A config without CRI, in schema version 2 (what containerd 1.6 and 1.7 read, and 2.x migrates). */
    ContainerdConfig(Path dir) {
        this(dir, 2, "");
    }

    /** The config schema a release is given: 3 for containerd 2.x, whose CRI tables have new names; else 2. */
    static int schema(ContainerdRelease release) {
        return release.major() >= 2 ? 3 : 2;
    }

    /** Whether the extra tables configure the CRI plugin, which then stays enabled. */
    boolean cri() {
        return plugins.contains("io.containerd.grpc.v1.cri") || plugins.contains("io.containerd.cri.v1.");
    }

    /** Ahead of containerd's {@code PATH}: the image's {@code containerd-shim-jrunc-v2}, for runtime type names. */
    Path bin() {
        return dir.resolve("bin");
    }

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
        List<String> disabled = new java.util.ArrayList<>(DISABLED_PLUGINS);
        if (!cri()) {
            disabled.addAll(CRI_PLUGINS);
        }
        return """
                version = %d
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
                version, quote(root()), quote(state()),
                disabled.stream().map(ContainerdConfig::quote).collect(Collectors.joining(", ")),
                quote(grpcAddress()), quote(ttrpcAddress())) + plugins;
    }

    static String quote(Object value) {
        // Temp paths hold no quotes or backslashes; refuse rather than write a broken file if one ever does.
        String text = value.toString();
        if (text.contains("\"") || text.contains("\\")) {
            throw new IllegalArgumentException("cannot quote for TOML: " + text);
        }
        return '"' + text + '"';
    }
}
