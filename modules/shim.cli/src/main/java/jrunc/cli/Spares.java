package jrunc.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jrunc.core.manager.ShimFlags;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.SpareKey;
import jrunc.core.manager.StartPlan;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.Spawn;

/**
 * Warm spare daemons as {@code start} sees them: the key and rendezvous socket of its kind, and how to boot the next
 * one. A spare is this launcher run with {@code -spare}, booted ahead of its task so that the JVM's boot is off the
 * path containerd waits on ({@link SpareCommand}). At most one per {@link SpareKey}; only a handler whose
 * {@code [jrunc]} table says {@code spare = true} uses them.
 */
final class Spares {
    private final String binary;
    private final SpareKey key;

    private Spares(String binary, SpareKey key) {
        this.binary = binary;
        this.key = key;
    }

    /** The spares of this process's kind, or null without a launcher to boot one with (the module run by hand). */
    static Spares of(ShimFlags flags) {
        String binary = System.getProperty("jrunc.shim.binary");
        if (binary == null || binary.isEmpty()) return null;
        String image = imageIdentity();
        if (image == null) return null;
        return new Spares(binary, SpareKey.of(binary, image, flags, System.getenv()));
    }

    SpareKey key() {
        return key;
    }

    Path socket() {
        return key.socket(Path.of(SocketAddress.SOCKET_DIR));
    }

    /**
     * Boots the next spare as {@code start} spawns a daemon ({@link StartPlan#spawn}): the launcher, in a process
     * group of its own, stdio on /dev/null, in this process's environment (containerd's), detached, with
     * containerd's OOM score + 1; in {@code /} until a {@code start} gives it a bundle. Once this process exits it is
     * init's, as a spawned daemon is. If a spare of its key is there already, it exits at once. Failures are not
     * reported: start's output is the address, and the next start boots one again.
     */
    void boot(OperatingSystem os, int containerdPid, Duration idle) {
        List<String> argv = new ArrayList<>(StartPlan.daemonArgv(List.of(binary), key.namespace(), SpareKey.ID_SLOT,
                key.address(), key.debug()));
        argv.addAll(List.of(ShimFlags.SPARE, ShimFlags.SPARE_IDLE, Long.toString(idle.toSeconds())));
        try {
            int pid = os.spawn(new Spawn(argv, null, Path.of("/"), Map.of(), true, true));
            os.setOomScoreAdj(pid, StartPlan.daemonOomScoreAdj(os, containerdPid));
        } catch (IOException | RuntimeException e) {
            // no spare this time
        }
    }

    /**
     * What identifies the runtime image this JVM runs: its {@code lib/modules} file (device and inode, size, time),
     * which an upgrade replaces. Null when it cannot be read.
     */
    static String imageIdentity() {
        Path modules = Path.of(System.getProperty("java.home"), "lib", "modules");
        try {
            BasicFileAttributes a = Files.readAttributes(modules, BasicFileAttributes.class);
            return a.fileKey() + " " + a.size() + " " + a.lastModifiedTime().toMillis();
        } catch (IOException e) {
            return null;
        }
    }
}
