package jrunc.core.manager;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.OperatingSystem.MountFlags;

/**
 * The one unmount routine, for the Task service's rootfs teardown, the Stop path and shim-doctor: every mount at or
 * below a directory, deepest first (stacked mounts newest first), then the directory itself until the kernel says
 * it is no mount point (EINVAL), as containerd 1.7+ does in {@code mount.UnmountRecursive}; EBUSY is retried 50
 * times 50 ms apart, as containerd v1.6.20 mount/mount_linux.go {@code unmount} does.
 *
 * <p>Nothing outside the directory is unmounted: the directory's parent is resolved to its real path (so a
 * {@code --state} reached through {@code /var/run} still matches mountinfo), its last component is not (a
 * {@code rootfs} that is a symbolic link names no mount of the bundle), and every umount2 carries UMOUNT_NOFOLLOW.
 */
public final class Unmounter {
    /** What to do with a mount that stays busy after the retries. */
    public enum Busy {
        /** Report it and leave it mounted (the Stop path: the caller refuses to remove what is under it). */
        FAIL,
        /** Detach it lazily ({@code umount -l}): it leaked into another mount namespace and is freed with it. */
        DETACH
    }

    private static final int BUSY_RETRIES = 50;
    private static final Duration BUSY_PAUSE = Duration.ofMillis(50);
    /** More stacked mounts than this on one point are not a snapshot's doing. */
    private static final int MAX_STACKED = 64;

    private final OperatingSystem os;
    private final Duration busyPause;

    public Unmounter(OperatingSystem os) {
        this(os, BUSY_PAUSE);
    }

    Unmounter(OperatingSystem os, Duration busyPause) {
        this.os = os;
        this.busyPause = busyPause;
    }

    /** Unmounts everything at or below {@code dir}; one step per mount unmounted or failed. */
    public List<StopResult.Step> unmountAll(Path dir, Busy busy) {
        List<StopResult.Step> steps = new ArrayList<>();
        Path target = canonicalParent(dir);
        String prefix = target.toString();
        try {
            for (MountInfo m : MountInfo.under(MountInfo.parse(os.mountInfo(), prefix), prefix)) {
                if (!m.mountPoint().equals(prefix)) unmountOne(m.mountPath(), busy, m.fsType() + " " + m.source(), steps);
            }
        } catch (IOException | RuntimeException e) {
            steps.add(new StopResult.Step("read-mountinfo", "/proc/self/mountinfo", false, String.valueOf(e.getMessage())));
        }
        for (int i = 0; i < MAX_STACKED; i++) {
            if (!unmountOne(target, busy, null, steps)) break;
        }
        return steps;
    }

    /**
     * {@code dir} with its parent resolved to the real path and its last component kept as it is; {@code dir}
     * normalized when the parent does not exist.
     */
    public static Path canonicalParent(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null) return abs;
        try {
            return parent.toRealPath().resolve(abs.getFileName());
        } catch (IOException e) {
            return abs;
        }
    }

    /** @return true when something was unmounted (so there may be more stacked at that point) */
    private boolean unmountOne(Path target, Busy busy, String what, List<StopResult.Step> steps) {
        for (int attempt = 1; ; attempt++) {
            try {
                os.unmount(target, MountFlags.UMOUNT_NOFOLLOW);
                steps.add(new StopResult.Step("unmount", target.toString(), true, what == null ? "unmounted" : "unmounted " + what));
                return true;
            } catch (ErrnoException e) {
                if (e.errno() == ErrnoException.EINVAL || e.errno() == ErrnoException.ENOENT) return false;
                if (e.errno() == ErrnoException.EBUSY && attempt < BUSY_RETRIES) {
                    if (!pause()) return failed(target, e, steps);
                    continue;
                }
                if (e.errno() == ErrnoException.EBUSY && busy == Busy.DETACH) return detach(target, steps);
                return failed(target, e, steps);
            } catch (IOException | RuntimeException e) {
                return failed(target, e, steps);
            }
        }
    }

    private boolean detach(Path target, List<StopResult.Step> steps) {
        try {
            os.unmount(target, MountFlags.MNT_DETACH | MountFlags.UMOUNT_NOFOLLOW);
            steps.add(new StopResult.Step("unmount", target.toString(), true, "busy, detached (lazy unmount)"));
            return true;
        } catch (IOException | RuntimeException e) {
            return failed(target, e, steps);
        }
    }

    private static boolean failed(Path target, Exception e, List<StopResult.Step> steps) {
        steps.add(new StopResult.Step("unmount", target.toString(), false, String.valueOf(e.getMessage())));
        return false;
    }

    private boolean pause() {
        try {
            Thread.sleep(busyPause);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
