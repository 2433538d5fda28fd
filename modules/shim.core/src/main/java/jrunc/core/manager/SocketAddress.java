package jrunc.core.manager;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;

/**
 * The shim socket address, byte for byte as containerd-shim-runc-v2 computes it (containerd 1.3.9+ / 1.4.3+, after
 * CVE-2020-15257): {@code unix:///run/containerd/s/} + hex(sha256(filepath.Join(address, namespace, group))). The
 * directory is fixed: it does not follow containerd's {@code state} setting.
 */
public final class SocketAddress {
    public static final String SOCKET_DIR = "/run/containerd/s";
    public static final String UNIX_PREFIX = "unix://";

    private SocketAddress() {}

    /** {@code unix:///run/containerd/s/<64 hex>} for a containerd address, namespace and grouping key. */
    public static String of(String containerdAddress, String namespace, String group) {
        return UNIX_PREFIX + SOCKET_DIR + "/" + hash(containerdAddress, namespace, group);
    }

    /** The hex digest alone (also how shim-doctor maps sockets back to bundles). */
    public static String hash(String containerdAddress, String namespace, String group) {
        String joined = goJoin(containerdAddress, namespace, group);
        return HexFormat.of().formatHex(Sha256.digest(joined.getBytes(StandardCharsets.UTF_8)));
    }

    /** The socket path behind a {@code unix://} address. */
    public static Path path(String address) {
        if (!address.startsWith(UNIX_PREFIX)) {
            throw new IllegalArgumentException("not a unix:// socket address (abstract sockets are not supported): " + address);
        }
        return Path.of(address.substring(UNIX_PREFIX.length()));
    }

    /**
     * The socket file an {@code address} file names, or null when it is not an absolute {@code unix://} path:
     * shim-doctor reads bundles other shims wrote, and one odd file must not stop a scan.
     */
    public static Path socketFile(String address) {
        if (address == null || !address.startsWith(UNIX_PREFIX)) return null;
        String path = address.substring(UNIX_PREFIX.length());
        return path.startsWith("/") ? Path.of(path) : null;
    }

    /** Go's {@code filepath.Join}: empty elements are skipped, the result is {@link #goClean cleaned}. */
    static String goJoin(String... elements) {
        StringBuilder sb = new StringBuilder();
        for (String e : elements) {
            if (e.isEmpty()) continue;
            if (!sb.isEmpty()) sb.append('/');
            sb.append(e);
        }
        return sb.isEmpty() ? "" : goClean(sb.toString());
    }

    /** Go's {@code path.Clean}: collapse slashes, drop ".", resolve ".." lexically. */
    static String goClean(String path) {
        if (path.isEmpty()) return ".";
        boolean rooted = path.charAt(0) == '/';
        Deque<String> parts = new ArrayDeque<>();
        for (String part : path.split("/")) {
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                if (!parts.isEmpty() && !parts.peekLast().equals("..")) parts.removeLast();
                else if (!rooted) parts.addLast("..");
            } else {
                parts.addLast(part);
            }
        }
        String joined = String.join("/", parts);
        if (rooted) return "/" + joined;
        return joined.isEmpty() ? "." : joined;
    }
}
