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
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.Signals;

/**
 * The shim's Stop path — what {@code containerd-shim-jrunc-v2 delete} and {@code shim-doctor clean} run for a task
 * whose shim is gone: {@code runc delete --force}, unmount everything under {@code rootfs} (deepest first, EBUSY
 * retried), read {@code init.pid}. Best effort: a failed step is recorded and the next one still runs, so containerd
 * always gets an answer within its 5 s. It never signals the pid from {@code init.pid}: after a reboot or a long delay
 * that pid may belong to someone else; {@code runc delete --force} is what kills the container, through runc's state.
 *
 * <p>It runs runc only when that is safe: the binary the bundle's {@code runtime} file names must be root's and
 * writable by nobody else ({@link RuncBinary}), and runc's state for the id, when it records a bundle, must record
 * this one (the runc root is shared by every containerd on a node). Bundle files are read through
 * {@link BundleReader}; rootfs is unmounted by {@link Unmounter}.
 */
public final class StopPath {
    /** 128 + SIGKILL: what containerd reports as the exit of a task whose shim died. */
    public static final int EXIT_STATUS = Signals.exitStatus(Signals.SIGKILL);
    /** Leaves room for unmounting and the JVM's own start inside containerd's 5 s cleanup deadline. */
    static final Duration RUNC_DEADLINE = Duration.ofMillis(3000);

    private final OperatingSystem os;
    private final BundleReader reader;
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
        this.reader = new BundleReader(os);
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
        steps.addAll(new Unmounter(os).unmountAll(bundle.resolve(BundleFiles.ROOTFS), Unmounter.Busy.FAIL));
        int pid = readPid(bundle, steps);
        return new StopResult(pid, EXIT_STATUS, clock.instant(), steps);
    }

    private void runcDelete(Path bundle, String namespace, String id, Path runcRootOverride, List<StopResult.Step> steps) {
        RuncSettings settings;
        try {
            settings = reader.runcSettings(bundle);
        } catch (IOException e) {
            steps.add(new StopResult.Step("read-runc-settings", bundle.toString(), false, e.getMessage() + "; using the default runc"));
            settings = RuncSettings.DEFAULTS;
        }
        if (settings.runtimeFileMissing()) {
            steps.add(new StopResult.Step("read-runtime", bundle.resolve(BundleFiles.RUNTIME).toString(), true,
                    "missing (the shim died before Create finished?): using the default runc"));
        }
        Path root = (runcRootOverride != null ? runcRootOverride : Path.of(settings.root())).resolve(namespace);
        String target = settings.binary() + " --root " + root + " delete --force " + id;
        Path binary;
        try {
            binary = RuncBinary.resolve(os, settings.binary(), System.getenv("PATH"));
        } catch (RuncBinary.UntrustedException e) {
            steps.add(new StopResult.Step("runc-delete", target, false, e.getMessage() + ": not run"));
            return;
        }
        String foreign = foreignRuncState(root.resolve(id), bundle);
        if (foreign != null) {
            steps.add(new StopResult.Step("runc-delete", target, false, foreign + ": not run"));
            return;
        }
        Runc runc = Runc.forBundle(os, binary.toString(), root, bundle.resolve(BundleFiles.LOG_JSON), settings.systemdCgroup())
                .withLimit(runcDeadline);
        try {
            runc.delete(id, true);
            steps.add(new StopResult.Step("runc-delete", target, true, "deleted (or runc had no such container)"));
        } catch (RuncException | RuntimeException e) {
            steps.add(new StopResult.Step("runc-delete", target, false, String.valueOf(e.getMessage())));
        }
    }

    /**
     * Why runc's state for this id is another bundle's, or null. The runc root is shared by every containerd on the
     * node: when runc recorded a different bundle for the id, {@code delete --force} would kill someone else's
     * container.
     */
    private String foreignRuncState(Path stateDir, Path bundle) {
        try {
            Path recorded = reader.runcState(stateDir).map(RuncStateFile::bundle).orElse(null);
            if (recorded == null) return null;
            Path ours = Unmounter.canonicalParent(bundle);
            Path theirs = Unmounter.canonicalParent(recorded);
            return ours.equals(theirs) ? null : "runc state " + stateDir + " belongs to bundle " + recorded;
        } catch (IOException e) {
            return null; // unreadable state: runc itself will say what it makes of it
        }
    }

    private int readPid(Path bundle, List<StopResult.Step> steps) {
        Path file = bundle.resolve(BundleFiles.INIT_PID);
        try {
            OptionalInt pid = reader.initPid(bundle);
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
}
