package jrunc.e2e;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CRI plugin's tables for a private containerd, in the schema of its release: version 2 for containerd 1.6 and
 * 1.7 ({@code io.containerd.grpc.v1.cri}, containerd v1.6.20 pkg/cri/config/config.go), version 3 for 2.x, which
 * split it into {@code io.containerd.cri.v1.runtime} and {@code io.containerd.cri.v1.images} (containerd v2.1.4
 * internal/cri/config/config.go).
 *
 * <p>What a node without systemd, AppArmor or CAP_SYS_RESOURCE needs, as this machine is: {@code
 * restrict_oom_score_adj} (the pause container may not lower its own score) and {@code disable_apparmor}. Pods use
 * the host network, so no CNI plugin is needed; CNI's directories still point into our own directory, since CRI
 * creates its configuration directory when it is missing. The stream server listens on loopback only.
 */
final class CriConfig {

    /** A CRI runtime handler: what a RuntimeClass's {@code handler} names. */
    record Handler(String name, String runtimeType, Path runtimePath, Map<String, Object> options) {
        Handler {
            options = new LinkedHashMap<>(options);
        }

        static Handler of(String name, String runtimeType) {
            return new Handler(name, runtimeType, null, Map.of());
        }

        Handler withPath(Path path) {
            return new Handler(name, runtimeType, path, options);
        }

        Handler withOption(String key, Object value) {
            Map<String, Object> more = new LinkedHashMap<>(options);
            more.put(key, value);
            return new Handler(name, runtimeType, runtimePath, more);
        }
    }

    private CriConfig() {
    }

    static String toml(ContainerdRelease release, Path dir, String sandboxImage, List<Handler> handlers) {
        boolean v3 = ContainerdConfig.schema(release) >= 3;
        String runtime = v3 ? "plugins.\"io.containerd.cri.v1.runtime\"" : "plugins.\"io.containerd.grpc.v1.cri\"";
        StringBuilder toml = new StringBuilder("\n");
        if (v3) {
            toml.append("[plugins.\"io.containerd.cri.v1.images\"]\n")
                    .append("  snapshotter = \"overlayfs\"\n")
                    .append("[plugins.\"io.containerd.cri.v1.images\".pinned_images]\n")
                    .append("  sandbox = ").append(ContainerdConfig.quote(sandboxImage)).append('\n')
                    .append("[plugins.\"io.containerd.grpc.v1.cri\"]\n")
                    .append("  stream_server_address = \"127.0.0.1\"\n")
                    .append("  stream_server_port = \"0\"\n");
        }
        toml.append('[').append(runtime).append("]\n")
                .append("  restrict_oom_score_adj = true\n")
                .append("  disable_apparmor = true\n");
        if (!v3) {
            toml.append("  sandbox_image = ").append(ContainerdConfig.quote(sandboxImage)).append('\n')
                    .append("  stream_server_address = \"127.0.0.1\"\n")
                    .append("  stream_server_port = \"0\"\n");
        }
        toml.append('[').append(runtime).append(".cni]\n")
                .append(v3 ? "  bin_dirs = [" + ContainerdConfig.quote(dir.resolve("cni/bin")) + "]\n"
                        : "  bin_dir = " + ContainerdConfig.quote(dir.resolve("cni/bin")) + "\n")
                .append("  conf_dir = ").append(ContainerdConfig.quote(dir.resolve("cni/conf"))).append('\n');
        toml.append('[').append(runtime).append(".containerd]\n");
        if (!v3) {
            toml.append("  snapshotter = \"overlayfs\"\n");
        }
        toml.append("  default_runtime_name = ").append(ContainerdConfig.quote(handlers.getFirst().name())).append('\n');
        for (Handler handler : handlers) {
            String table = runtime + ".containerd.runtimes." + ContainerdConfig.quote(handler.name());
            toml.append('[').append(table).append("]\n")
                    .append("  runtime_type = ").append(ContainerdConfig.quote(handler.runtimeType())).append('\n');
            if (handler.runtimePath() != null) {
                toml.append("  runtime_path = ").append(ContainerdConfig.quote(handler.runtimePath())).append('\n');
            }
            if (!handler.options().isEmpty()) {
                toml.append('[').append(table).append(".options]\n");
                handler.options().forEach((key, value) -> toml.append("  ").append(key).append(" = ")
                        .append(value instanceof String || value instanceof Path ? ContainerdConfig.quote(value)
                                : value.toString()).append('\n'));
            }
        }
        return toml.toString();
    }
}
