package jrunc.core.mount;

import static jrunc.core.spi.OperatingSystem.MountFlags.MS_REMOUNT;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import jrunc.core.manager.StopResult;
import jrunc.core.manager.Unmounter;
import jrunc.core.spi.OperatingSystem;
import jrunc.proto.types.Mount;

/**
 * The container's root filesystem: the snapshot mounts containerd sends in Create, mounted in order onto
 * {@code <bundle>/rootfs}. Mirrors {@code mount.Mount.Mount} and {@code mount.UnmountAll} of containerd's
 * {@code mount/mount_linux.go} (v1.6.20), without the loop-device and long-overlay-option tricks.
 */
public final class Rootfs {
    private static final System.Logger LOG = System.getLogger(Rootfs.class.getName());

    private final OperatingSystem os;
    private final Path target;

    public Rootfs(OperatingSystem os, Path target) {
        this.os = os;
        this.target = target;
    }

    public Path target() {
        return target;
    }

    /**
     * Why jrunc cannot mount these, or null when it can: containerd attaches a loop device for {@code loop}, which
     * the snapshotters used with runc do not ask for, and jrunc does not do.
     */
    public static String unsupported(List<Mount> mounts) {
        for (Mount m : mounts) {
            if (MountOptions.parse(m.getOptionsList()).loop()) {
                return "mount option loop is not supported by jrunc (" + describe(m) + ")";
            }
        }
        return null;
    }

    /**
     * Mounts each in order; if one fails, what was mounted is unmounted again before the error is thrown.
     *
     * @throws IOException naming the mount that failed
     */
    public void mountAll(List<Mount> mounts) throws IOException {
        String refused = unsupported(mounts);
        if (refused != null) throw new IOException(refused);
        for (Mount m : mounts) {
            try {
                mount(m);
            } catch (IOException e) {
                unmountAll();
                throw new IOException("failed to mount rootfs component " + describe(m) + ": " + e.getMessage(), e);
            }
        }
    }

    private void mount(Mount m) throws IOException {
        MountOptions options = MountOptions.parse(m.getOptionsList());
        String data = options.data().isEmpty() ? null : options.data();
        if (options.needsMountCall()) {
            os.mount(m.getSource(), target, m.getType(), options.mountFlags(), data);
        }
        if (options.propagationFlags() != 0) {
            os.mount("", target, "", options.propagationFlags(), null);
        }
        if (options.isReadOnlyBind()) {
            os.mount("", target, "", options.mountFlags() | MS_REMOUNT, null);
        }
    }

    /**
     * Unmounts everything at and under the target ({@link Unmounter}: deepest first, stacked mounts until none is
     * left, EBUSY retried). Best effort: a failure is logged and left for the {@code delete} action or shim-doctor.
     */
    public void unmountAll() {
        for (StopResult.Step step : new Unmounter(os).unmountAll(target, Unmounter.Busy.FAIL)) {
            if (!step.ok()) LOG.log(System.Logger.Level.WARNING, "failed to unmount " + step.target() + ": " + step.detail());
        }
    }

    private static String describe(Mount m) {
        return "{type=" + m.getType() + " source=" + m.getSource() + " options=" + m.getOptionsList() + "}";
    }
}
