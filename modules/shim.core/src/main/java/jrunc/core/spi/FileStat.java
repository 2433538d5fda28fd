package jrunc.core.spi;

import java.time.Instant;

/**
 * What {@code lstat(2)} says about a path (read through {@code statx}): its type and mode, owner, size, identity
 * and the mount it lives on. The link itself is described, never its target.
 *
 * @param mode    {@code st_mode}: type bits ({@code S_IFMT}) and permission bits
 * @param device  {@code st_dev} as {@code major << 32 | minor}
 * @param mountId the mount the path lives on ({@code STATX_MNT_ID}); two paths on one file system but in two bind
 *                mounts differ here even though their devices are equal; 0 when the kernel does not say
 */
public record FileStat(int mode, int uid, int gid, long size, long device, long inode, long mountId,
                       Instant modified) {
    /** {@code <sys/stat.h>} type bits. */
    public static final int S_IFMT = 0170000, S_IFSOCK = 0140000, S_IFLNK = 0120000, S_IFREG = 0100000,
            S_IFBLK = 060000, S_IFDIR = 040000, S_IFCHR = 020000, S_IFIFO = 010000;

    /** The kinds of file a bundle may hold, or turn out to hold. */
    public enum Type {
        REGULAR("regular file"), DIRECTORY("directory"), SYMLINK("symbolic link"), SOCKET("socket"),
        FIFO("FIFO"), CHARACTER_DEVICE("character device"), BLOCK_DEVICE("block device"), UNKNOWN("unknown file type");

        private final String description;

        Type(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    public Type type() {
        return switch (mode & S_IFMT) {
            case S_IFREG -> Type.REGULAR;
            case S_IFDIR -> Type.DIRECTORY;
            case S_IFLNK -> Type.SYMLINK;
            case S_IFSOCK -> Type.SOCKET;
            case S_IFIFO -> Type.FIFO;
            case S_IFCHR -> Type.CHARACTER_DEVICE;
            case S_IFBLK -> Type.BLOCK_DEVICE;
            default -> Type.UNKNOWN;
        };
    }

    public boolean isRegular() {
        return type() == Type.REGULAR;
    }

    public boolean isDirectory() {
        return type() == Type.DIRECTORY;
    }

    public boolean isSocket() {
        return type() == Type.SOCKET;
    }

    /** Same file: same device and inode. */
    public boolean sameFile(FileStat other) {
        return device == other.device && inode == other.inode;
    }

    /** Same mount: the mount id when the kernel gives one, else the device. */
    public boolean sameMount(FileStat other) {
        if (mountId != 0 && other.mountId != 0) return mountId == other.mountId;
        return device == other.device;
    }
}
