package jrunc.linux.ffi;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.time.Instant;
import jrunc.core.spi.FileStat;

/**
 * {@code struct statx} from {@code <linux/stat.h>}: 256 bytes with the same layout on every Linux port (unlike
 * {@code struct stat}), which is why jrunc reads file status through statx(2). Only the fields jrunc uses are named;
 * the rest is padding of the right size.
 */
public final class Statx {
    /** {@code struct statx_timestamp}: seconds, nanoseconds, 4 reserved bytes. */
    static final StructLayout TIMESTAMP = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"), JAVA_INT.withName("tv_nsec"), JAVA_INT.withName("reserved"));

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_INT.withName("stx_mask"),
            JAVA_INT.withName("stx_blksize"),
            JAVA_LONG.withName("stx_attributes"),
            JAVA_INT.withName("stx_nlink"),
            JAVA_INT.withName("stx_uid"),
            JAVA_INT.withName("stx_gid"),
            JAVA_SHORT.withName("stx_mode"),
            MemoryLayout.paddingLayout(2),
            JAVA_LONG.withName("stx_ino"),
            JAVA_LONG.withName("stx_size"),
            JAVA_LONG.withName("stx_blocks"),
            JAVA_LONG.withName("stx_attributes_mask"),
            TIMESTAMP.withName("stx_atime"),
            TIMESTAMP.withName("stx_btime"),
            TIMESTAMP.withName("stx_ctime"),
            TIMESTAMP.withName("stx_mtime"),
            JAVA_INT.withName("stx_rdev_major"),
            JAVA_INT.withName("stx_rdev_minor"),
            JAVA_INT.withName("stx_dev_major"),
            JAVA_INT.withName("stx_dev_minor"),
            JAVA_LONG.withName("stx_mnt_id"),
            MemoryLayout.paddingLayout(104));

    // <linux/stat.h>, <fcntl.h>
    public static final int STATX_BASIC_STATS = 0x7ff, STATX_MNT_ID = 0x1000;
    public static final int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;

    private static final VarHandle MASK = handle("stx_mask");
    private static final VarHandle UID = handle("stx_uid");
    private static final VarHandle GID = handle("stx_gid");
    private static final VarHandle MODE = handle("stx_mode");
    private static final VarHandle INO = handle("stx_ino");
    private static final VarHandle SIZE = handle("stx_size");
    private static final VarHandle DEV_MAJOR = handle("stx_dev_major");
    private static final VarHandle DEV_MINOR = handle("stx_dev_minor");
    private static final VarHandle MNT_ID = handle("stx_mnt_id");
    private static final VarHandle MTIME_SEC = LAYOUT.varHandle(PathElement.groupElement("stx_mtime"),
            PathElement.groupElement("tv_sec"));
    private static final VarHandle MTIME_NSEC = LAYOUT.varHandle(PathElement.groupElement("stx_mtime"),
            PathElement.groupElement("tv_nsec"));

    private Statx() {}

    private static VarHandle handle(String field) {
        return LAYOUT.varHandle(PathElement.groupElement(field));
    }

    static long offsetOf(String field) {
        return LAYOUT.byteOffset(PathElement.groupElement(field));
    }

    /** The fields of a filled buffer; the mount id is 0 when the kernel did not fill it. */
    public static FileStat toFileStat(MemorySegment buffer) {
        int mask = (int) MASK.get(buffer, 0L);
        long device = ((long) (int) DEV_MAJOR.get(buffer, 0L) << 32) | Integer.toUnsignedLong((int) DEV_MINOR.get(buffer, 0L));
        return new FileStat(Short.toUnsignedInt((short) MODE.get(buffer, 0L)), (int) UID.get(buffer, 0L),
                (int) GID.get(buffer, 0L), (long) SIZE.get(buffer, 0L), device, (long) INO.get(buffer, 0L),
                (mask & STATX_MNT_ID) != 0 ? (long) MNT_ID.get(buffer, 0L) : 0,
                Instant.ofEpochSecond((long) MTIME_SEC.get(buffer, 0L), Integer.toUnsignedLong((int) MTIME_NSEC.get(buffer, 0L))));
    }
}
