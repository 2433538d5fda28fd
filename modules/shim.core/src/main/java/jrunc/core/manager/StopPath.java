package jrunc.core.manager;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import jrunc.core.runc.Runc;
import jrunc.core.runc.RuncException;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.Signals;

/**
 * The shim's Stop path — what {@code containerd-shim-jrunc-v2 delete} and {@code shim-doctor clean} run for a task
 * whose shim is gone: {@code runc delete --force}, unmount everything under {@code rootfs} (deepest first, EBUSY
 * retried), read {@code init.pid}. Best effort: a failed step is recorded and the next one still runs, so containerd
 * always gets an answer within its 5 s. It never signals the pid from {@code init.pid}: after a reboot or a long delay
 * that pid may belong to someone else; {@code runc delete --force} is what kills the container, through runc's state.
 */
public final class StopPath {
    /** 128 + SIGKILL: what containerd reports as the exit of a task whose shim died. */
    public static final int EXIT_STATUS = Signals.exitStatus(Signals.SIGKILL);
    private static final int EBUSY_RETRIES = 50;
    private static final Duration EBUSY_PAUSE = Duration.ofMillis(50);
    /** Leaves room for unmounting and the JVM's own start inside containerd's 5 s cleanup deadline. */
    static final Duration RUNC_DEADLINE = Duration.ofMillis(3000);

    private final OperatingSystem os;
    private final Clock clock;
    private final Duration runcDeadline;

    public StopPath(OperatingSystem os) {
        this(os, Clock.systemUTC());
    }

    public StopPath(OperatingSystem os, Clock clock) {
        this(os, clock, RUNC_DEADLINE);
    }

    StopPath(OperatingSystem os, Clock clock, Duration runcDeadline) {
        this.os = os;
        this.clock = clock;
        this.runcDeadline = runcDeadline;
    }

    /**
     * Stops the task {@code id} of {@code namespace} whose bundle is {@code bundle}.
     *
     * @param runcRootOverride runc's root before {@code /<namespace>}, or null to take it from {@code options.json}
     */
    public StopResult stop(Path bundle, String namespace, String id, Path runcRootOverride) {
        List<StopResult.Step> steps = new ArrayList<>();
        runcDelete(bundle, namespace, id, runcRootOverride, steps);
        unmountRootfs(bundle.resolve(BundleFiles.ROOTFS), steps);
        int pid = readPid(bundle, steps);
        return new StopResult(pid, EXIT_STATUS, clock.instant(), steps);
    }

    private void runcDelete(Path bundle, String namespace, String id, Path runcRootOverride, List<StopResult.Step> steps) {
        BundleFiles.RuncSettings settings;
        try {
            settings = BundleFiles.readRuncSettings(bundle);
        } catch (IOException e) {
            steps.add(new StopResult.Step("read-runc-settings", bundle.toString(), false, e.getMessage() + "; using the default runc"));
            settings = new BundleFiles.RuncSettings(BundleFiles.DEFAULT_RUNC_BINARY, BundleFiles.DEFAULT_RUNC_ROOT, false, true);
        }
        if (settings.runtimeFileMissing()) {
            steps.add(new StopResult.Step("read-runtime", bundle.resolve(BundleFiles.RUNTIME).toString(), true,
                    "missing (the shim died before Create finished?): using the default runc"));
        }
        Path root = (runcRootOverride != null ? runcRootOverride : Path.of(settings.root())).resolve(namespace);
        Runc runc = Runc.forBundle(os, settings.binary(), root, bundle.resolve(BundleFiles.LOG_JSON), settings.systemdCgroup())
                .withLimit(runcDeadline);
        String target = settings.binary() + " --root " + root + " delete --force " + id;
        try {
            runc.delete(id, true);
            steps.add(new StopResult.Step("runc-delete", target, true, "deleted (or runc had no such container)"));
        } catch (RuncException | RuntimeException e) {
            steps.add(new StopResult.Step("runc-delete", target, false, String.valueOf(e.getMessage())));
        }
    }

    /**
     * Unmounts every mount at or below {@code rootfs}, deepest first (what containerd 1.7+ does), then keeps unmounting
     * {@code rootfs} itself until the kernel says it is no mount point (EINVAL): mounts can be stacked.
     */
    private void unmountRootfs(Path rootfs, List<StopResult.Step> steps) {
        String dir = rootfs.toAbsolutePath().normalize().toString();
        try {
            for (MountInfo m : MountInfo.under(MountInfo.parse(os.mountInfo()), dir)) {
                unmountOne(Path.of(m.mountPoint()), steps, m.fsType() + " " + m.source());
            }
        } catch (IOException | RuntimeException e) {
            steps.add(new StopResult.Step("read-mountinfo", "/proc/self/mountinfo", false, String.valueOf(e.getMessage())));
        }
        for (int i = 0; i < 64; i++) {
            if (!unmountOne(rootfs, steps, null)) break;
        }
    }

    /** @return true when something was unmounted (so there may be more at that point) */
    private boolean unmountOne(Path target, List<StopResult.Step> steps, String what) {
        for (int attempt = 1; ; attempt++) {
            try {
                os.unmount(target, 0);
                steps.add(new StopResult.Step("unmount", target.toString(), true, what == null ? "unmounted" : "unmounted " + what));
                return true;
            } catch (ErrnoException e) {
                if (e.errno() == ErrnoException.EINVAL || e.errno() == ErrnoException.ENOENT) return false;
                if (e.errno() == ErrnoException.EBUSY && attempt < EBUSY_RETRIES) {
                    sleep(EBUSY_PAUSE);
                    continue;
                }
                steps.add(new StopResult.Step("unmount", target.toString(), false, e.getMessage()));
                return false;
            } catch (IOException | RuntimeException e) {
                steps.add(new StopResult.Step("unmount", target.toString(), false, String.valueOf(e.getMessage())));
                return false;
            }
        }
    }

    private int readPid(Path bundle, List<StopResult.Step> steps) {
        Path file = bundle.resolve(BundleFiles.INIT_PID);
        try {
            OptionalInt pid = BundleFiles.readInitPid(bundle);
            if (pid.isPresent()) {
                steps.add(new StopResult.Step("read-init-pid", file.toString(), true, "pid " + pid.getAsInt()));
                return pid.getAsInt();
            }
            steps.add(new StopResult.Step("read-init-pid", file.toString(), false, "missing: reporting pid 0"));
        } catch (IOException e) {
            steps.add(new StopResult.Step("read-init-pid", file.toString(), false, e.getMessage() + ": reporting pid 0"));
        }
        return 0;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
