package jrunc.core.mount;

import static jrunc.core.spi.OperatingSystem.MountFlags.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * fstab-style mount options split into mount(2) flags and the filesystem's data string. Mirrors
 * {@code parseMountOptions} in containerd's {@code mount/mount_linux.go} (v1.6.20): each known option sets or
 * clears a flag, the last one naming a flag wins, and everything else (e.g. {@code lowerdir=…}) goes to the data
 * string joined by ','. {@code loop} asks for a loop device.
 *
 * @param flags MS_* bits, propagation bits included
 * @param data  the fs-specific options, "" when none
 * @param loop  the source must be attached to a loop device first
 */
record MountOptions(long flags, String data, boolean loop) {
    /** Not in {@code MountFlags}: &lt;linux/mount.h&gt;. */
    static final long MS_UNBINDABLE = 1 << 17, MS_SILENT = 1 << 15;
    /** Propagation types: applied by a second mount(2) call with no source. */
    static final long PROPAGATION_TYPES = MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE;

    private record Flag(boolean clear, long bits) {}

    private static final Map<String, Flag> TABLE = Map.ofEntries(
            Map.entry("async", new Flag(true, MS_SYNCHRONOUS)),
            Map.entry("atime", new Flag(true, MS_NOATIME)),
            Map.entry("bind", new Flag(false, MS_BIND)),
            Map.entry("defaults", new Flag(false, 0)),
            Map.entry("dev", new Flag(true, MS_NODEV)),
            Map.entry("diratime", new Flag(true, MS_NODIRATIME)),
            Map.entry("dirsync", new Flag(false, MS_DIRSYNC)),
            Map.entry("exec", new Flag(true, MS_NOEXEC)),
            Map.entry("mand", new Flag(false, MS_MANDLOCK)),
            Map.entry("noatime", new Flag(false, MS_NOATIME)),
            Map.entry("nodev", new Flag(false, MS_NODEV)),
            Map.entry("nodiratime", new Flag(false, MS_NODIRATIME)),
            Map.entry("noexec", new Flag(false, MS_NOEXEC)),
            Map.entry("nomand", new Flag(true, MS_MANDLOCK)),
            Map.entry("norelatime", new Flag(true, MS_RELATIME)),
            Map.entry("nostrictatime", new Flag(true, MS_STRICTATIME)),
            Map.entry("nosuid", new Flag(false, MS_NOSUID)),
            Map.entry("rbind", new Flag(false, MS_BIND | MS_REC)),
            Map.entry("relatime", new Flag(false, MS_RELATIME)),
            Map.entry("remount", new Flag(false, MS_REMOUNT)),
            Map.entry("ro", new Flag(false, MS_RDONLY)),
            Map.entry("rw", new Flag(true, MS_RDONLY)),
            Map.entry("strictatime", new Flag(false, MS_STRICTATIME)),
            Map.entry("suid", new Flag(true, MS_NOSUID)),
            Map.entry("sync", new Flag(false, MS_SYNCHRONOUS)),
            Map.entry("shared", new Flag(false, MS_SHARED)),
            Map.entry("rshared", new Flag(false, MS_SHARED | MS_REC)),
            Map.entry("private", new Flag(false, MS_PRIVATE)),
            Map.entry("rprivate", new Flag(false, MS_PRIVATE | MS_REC)),
            Map.entry("slave", new Flag(false, MS_SLAVE)),
            Map.entry("rslave", new Flag(false, MS_SLAVE | MS_REC)),
            Map.entry("unbindable", new Flag(false, MS_UNBINDABLE)),
            Map.entry("runbindable", new Flag(false, MS_UNBINDABLE | MS_REC)));

    static MountOptions parse(List<String> options) {
        long flags = 0;
        boolean loop = false;
        List<String> data = new ArrayList<>();
        for (String option : options) {
            Flag flag = TABLE.get(option);
            if (flag != null) {
                flags = flag.clear() ? flags & ~flag.bits() : flags | flag.bits();
            } else if (option.equals("loop")) {
                loop = true;
            } else {
                data.add(option);
            }
        }
        return new MountOptions(flags, String.join(",", data), loop);
    }

    /** The flags of the first mount(2) call: everything but the propagation type. */
    long mountFlags() {
        return flags & ~PROPAGATION_TYPES;
    }

    /** The flags of the propagation call, or 0 when no propagation type was asked for. */
    long propagationFlags() {
        return (flags & PROPAGATION_TYPES) == 0 ? 0 : flags & (PROPAGATION_TYPES | MS_REC | MS_SILENT);
    }

    /** A remount with no data changes only flags: containerd skips the first call then. */
    boolean needsMountCall() {
        return (flags & MS_REMOUNT) == 0 || !data.isEmpty();
    }

    /** mount(2) ignores MS_RDONLY on a new bind mount: a read-only bind needs a remount afterwards. */
    boolean isReadOnlyBind() {
        long bindRo = MS_BIND | MS_RDONLY;
        return (mountFlags() & bindRo) == bindRo;
    }
}
