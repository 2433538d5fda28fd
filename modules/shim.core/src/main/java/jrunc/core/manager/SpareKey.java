package jrunc.core.manager;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Which warm spare daemon a {@code start} may hand its task to: one booted by the same launcher of the same runtime
 * image, for the same containerd ({@code -address}) and namespace, with the same {@code -debug}, in exactly the
 * same environment. That environment is containerd's ({@code TTRPC_ADDRESS}, {@code GRPC_ADDRESS},
 * {@code NAMESPACE}…, containerd v1.6.20 runtime/v2/shim/util.go, Command), the one a daemon spawned by
 * {@code start} would inherit, so a spare that takes a task over has the same {@code /proc/<pid>/environ} as that
 * daemon, and publishes its events to the same place. A spare refuses a request whose key is not its own.
 *
 * <p>Each key has one rendezvous socket in the shim socket directory,
 * {@code jrunc-spare-<containerd tag>-<key hash>}: at most one spare per key. The tag is a hash of containerd's
 * address alone, so that what belongs to one containerd can be told from its name.
 *
 * @param binary    the launcher's path ({@code jrunc.shim.binary})
 * @param image     the runtime image's identity (its {@code lib/modules}: device, inode, size, time): an upgraded
 *                  image never hands a task to a spare of the old one
 * @param address   containerd's {@code -address}
 * @param namespace {@code -namespace}
 * @param debug     {@code -debug}
 * @param env       the whole environment
 */
public record SpareKey(String binary, String image, String address, String namespace, boolean debug,
                       SortedMap<String, String> env) {
    /** The rendezvous sockets' prefix in the socket directory. */
    public static final String SOCKET_PREFIX = "jrunc-spare-";
    /**
     * The {@code -id} a spare is booted with: as long as the longest id containerd allows (76, containerd v1.6.20
     * identifiers/validate.go), so the command line of the daemon it becomes fits in the space the spare's had.
     * No task can have it ({@code <} is not allowed in an id).
     */
    public static final String ID_SLOT = "<spare>" + ".".repeat(69);

    public SpareKey {
        env = new TreeMap<>(env);
    }

    /** This process's key, for the flags it was given. */
    public static SpareKey of(String binary, String image, ShimFlags flags, Map<String, String> env) {
        return new SpareKey(binary, image, flags.address(), flags.namespace(), flags.debug(), new TreeMap<>(env));
    }

    /** The rendezvous socket of this key in {@code socketDir}. */
    public Path socket(Path socketDir) {
        return socketDir.resolve(SOCKET_PREFIX + containerdTag(address) + "-" + hash());
    }

    /** The part of a rendezvous socket's name that names its containerd: {@code jrunc-spare-<tag>-}. */
    public static String socketPrefixFor(String containerdAddress) {
        return SOCKET_PREFIX + containerdTag(containerdAddress) + "-";
    }

    /** Whether a file name in the socket directory is a spare's rendezvous socket. */
    public static boolean isRendezvousName(String fileName) {
        return fileName.startsWith(SOCKET_PREFIX);
    }

    /**
     * FNV-1a (64 bits) over the key's fields, each followed by a NUL. Not a security boundary (the socket directory
     * is root's, both ends check the other's credentials, and a spare compares the whole key), only a name: cheaper
     * for a {@code start} than SHA-256, whose provider set-up it would pay for every container.
     */
    public String hash() {
        StringBuilder canonical = new StringBuilder(1024).append(binary).append('\0').append(image).append('\0')
                .append(address).append('\0').append(namespace).append('\0').append(debug).append('\0');
        env.forEach((k, v) -> canonical.append(k).append('=').append(v).append('\0'));
        return fnv(canonical.toString());
    }

    private static String containerdTag(String address) {
        return fnv(address).substring(0, 12);
    }

    private static String fnv(String text) {
        long h = 0xcbf29ce484222325L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        String hex = Long.toHexString(h);
        return "0".repeat(16 - hex.length()) + hex;
    }
}
