package jrunc.core.doctor;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The shim socket address (containerd contract §1.5): {@code unix://<socketDir>/} + hex SHA-256 of
 * {@code <containerd -address>/<namespace>/<group key>}, the three parts joined as Go's {@code filepath.Join} does
 * (which cleans the path). Mirrors {@code runtime/v2/shim/util_unix.go SocketAddress} (v1.6.20).
 */
public final class SocketHash {
    public static final String UNIX = "unix://";

    private SocketHash() {}

    public static String hash(String containerdAddress, String namespace, String groupKey) {
        String joined = Path.of(containerdAddress, namespace, groupKey).normalize().toString();
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(joined.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    /** The socket file a bundle's {@code address} content names, or null when it is not a {@code unix://} path. */
    public static Path socketPath(String address) {
        if (address == null || !address.startsWith(UNIX)) return null;
        String p = address.substring(UNIX.length());
        return p.startsWith("/") ? Path.of(p) : null;
    }
}
