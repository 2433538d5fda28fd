package jrunc.linux.ffi;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static jrunc.linux.ffi.Native.cString;
import static jrunc.linux.ffi.Native.ptr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jrunc.core.spi.ErrnoException;

/**
 * glibc calls on processes, descriptors and mounts. Each wrapper checks the return value and turns -1 into an
 * {@link ErrnoException} carrying the errno captured with the call. Every call goes through {@link Native}'s one
 * downcall, so nothing is linked per function. Sockets are in {@link UnixSocket}, posix_spawn in {@link PosixSpawn}.
 */
public final class Libc {
    private Libc() {}

    /** A waitpid(2) result: {@code pid} 0 means WNOHANG found nothing. */
    public record Waited(int pid, int status) {}

    private static final Native.Function GETEUID = Native.function("geteuid"), GETEGID = Native.function("getegid"),
            PRCTL = Native.function("prctl"), KILL = Native.function("kill"), WAITPID = Native.function("waitpid"),
            PIPE2 = Native.function("pipe2"), OPEN = Native.function("open"), CLOSE = Native.function("close"),
            READ = Native.function("read"), WRITE = Native.function("write"), DUP = Native.function("dup"),
            DUP3 = Native.function("dup3"), MKFIFO = Native.function("mkfifo"), FCHOWN = Native.function("fchown"),
            MOUNT = Native.function("mount"), UMOUNT2 = Native.function("umount2"), STATX = Native.function("statx"),
            CHDIR = Native.function("chdir"), SETPGID = Native.function("setpgid"), SYSCALL = Native.function("syscall");

    // geteuid(2), getegid(2): always succeed
    public static int geteuid() {
        try (Arena arena = Arena.ofConfined()) {
            return (int) GETEUID.call(Native.callState(arena));
        }
    }

    public static int getegid() {
        try (Arena arena = Arena.ofConfined()) {
            return (int) GETEGID.call(Native.callState(arena));
        }
    }

    /** prctl(2): {@code int prctl(int option, ...)}, the variadic arguments unsigned longs. */
    public static int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r = (int) PRCTL.call(state, option, arg2, arg3, arg4, arg5);
            if (r == -1) throw Native.failure("prctl", state, "option " + option);
            return r;
        }
    }

    /** prctl(option, &value) for options such as PR_GET_CHILD_SUBREAPER. */
    public static int prctlGetInt(int option) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment value = arena.allocate(JAVA_INT);
            int r = (int) PRCTL.call(state, option, ptr(value));
            if (r == -1) throw Native.failure("prctl", state, "option " + option);
            return value.get(JAVA_INT, 0);
        }
    }

    /** kill(2). */
    public static void kill(int pid, int signal) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            if ((int) KILL.call(state, pid, signal) == -1) {
                throw Native.failure("kill", state, "pid " + pid + " signal " + signal);
            }
        }
    }

    /** waitpid(2) once; EINTR surfaces as an exception like any other errno (the caller loops). */
    public static Waited waitpid(int pid, int options) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment status = arena.allocate(JAVA_INT);
            int r = (int) WAITPID.call(state, pid, ptr(status), options);
            if (r == -1) throw Native.failure("waitpid", state, "pid " + pid);
            return new Waited(r, status.get(JAVA_INT, 0));
        }
    }

    /** pipe2(2): {@code [readFd, writeFd]}. */
    public static int[] pipe2(int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            if ((int) PIPE2.call(state, ptr(fds), flags) == -1) throw Native.failure("pipe2", state, null);
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    /** open(2): {@code int open(const char *path, int flags, ...)}, mode_t promoted to int. */
    public static int open(String path, int flags, int mode) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int fd = (int) OPEN.call(state, cString(arena, path), flags, mode);
            if (fd == -1) throw Native.failure("open", state, path);
            return fd;
        }
    }

    /**
     * close(2), never retried: on Linux the descriptor is released even when close reports EINTR, and a retry
     * could close a descriptor another thread has just been given.
     */
    public static void close(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            if ((int) CLOSE.call(state, fd) == -1) throw Native.failure("close", state, "fd " + fd);
        }
    }

    /** read(2) into {@code buffer}; 0 is end of file. Blocks the calling (platform) thread on a blocking fd. */
    public static long read(int fd, MemorySegment buffer) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            return read(Native.callState(arena), fd, buffer);
        }
    }

    /** read(2) with a call-state buffer of the caller's ({@link #callState}): for a loop that reads often. */
    public static long read(MemorySegment state, int fd, MemorySegment buffer) throws ErrnoException {
        long n = READ.call(state, fd, ptr(buffer), buffer.byteSize());
        if (n == -1) throw Native.failure("read", state, "fd " + fd);
        return n;
    }

    /** write(2) from {@code buffer}; may write less than all of it. */
    public static long write(int fd, MemorySegment buffer) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            return write(Native.callState(arena), fd, buffer);
        }
    }

    /** write(2) with a call-state buffer of the caller's ({@link #callState}). */
    public static long write(MemorySegment state, int fd, MemorySegment buffer) throws ErrnoException {
        long n = WRITE.call(state, fd, ptr(buffer), buffer.byteSize());
        if (n == -1) throw Native.failure("write", state, "fd " + fd);
        return n;
    }

    /** A call-state buffer in {@code arena}, for the wrappers that take one. */
    public static MemorySegment callState(Arena arena) {
        return Native.callState(arena);
    }

    /** dup(2): the copy does NOT have FD_CLOEXEC. */
    public static int dup(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r = (int) DUP.call(state, fd);
            if (r == -1) throw Native.failure("dup", state, "fd " + fd);
            return r;
        }
    }

    /** dup2(2), as dup3 with no flags (glibc's dup2 is the same system call when the fds differ). */
    public static void dup2(int oldFd, int newFd) throws ErrnoException {
        if (oldFd == newFd) return; // dup3 refuses equal fds; dup2 would do nothing
        dup3(oldFd, newFd, 0);
    }

    /** dup3(2): flags 0 or O_CLOEXEC. */
    public static void dup3(int oldFd, int newFd, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            if ((int) DUP3.call(state, oldFd, newFd, flags) == -1) {
                throw Native.failure("dup2", state, "fd " + oldFd + " to " + newFd);
            }
        }
    }

    /** mkfifo(3). */
    public static void mkfifo(String path, int mode) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            if ((int) MKFIFO.call(state, cString(arena, path), mode) == -1) throw Native.failure("mkfifo", state, path);
        }
    }

    /** fchown(2). */
    public static void fchown(int fd, int uid, int gid) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            if ((int) FCHOWN.call(state, fd, uid, gid) == -1) {
                throw Native.failure("fchown", state, "fd " + fd + " to " + uid + ":" + gid);
            }
        }
    }

    /** chdir(2): this process's working directory (the JDK's {@code user.dir} does not follow). */
    public static void chdir(String path) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            if ((int) CHDIR.call(state, cString(arena, path)) == -1) throw Native.failure("chdir", state, path);
        }
    }

    /** setpgid(2). */
    public static void setpgid(int pid, int pgid) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            if ((int) SETPGID.call(state, pid, pgid) == -1) throw Native.failure("setpgid", state, "pid " + pid);
        }
    }

    /**
     * mount(2): {@code int mount(const char *source, const char *target, const char *fstype, unsigned long flags,
     * const void *data)}; null strings are passed as NULL (a bind or remount needs no fstype or data).
     */
    public static void mount(String source, String target, String fsType, long flags, String data)
            throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r = (int) MOUNT.call(state, cString(arena, source), cString(arena, target), cString(arena, fsType),
                    flags, cString(arena, data));
            if (r == -1) throw Native.failure("mount", state, source + " on " + target);
        }
    }

    /** umount2(2). */
    public static void umount2(String target, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            if ((int) UMOUNT2.call(state, cString(arena, target), flags) == -1) {
                throw Native.failure("umount2", state, target);
            }
        }
    }

    /** lstat(2) of a path, through statx (one struct layout on every port). */
    public static jrunc.core.spi.FileStat lstat(String path) throws ErrnoException {
        return statx(Statx.AT_FDCWD, path, Statx.AT_SYMLINK_NOFOLLOW);
    }

    /** fstat(2) of an open descriptor, through statx with AT_EMPTY_PATH. */
    public static jrunc.core.spi.FileStat fstat(int fd) throws ErrnoException {
        return statx(fd, "", Statx.AT_EMPTY_PATH);
    }

    // statx(2): int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf)
    private static jrunc.core.spi.FileStat statx(int dirfd, String path, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment buffer = arena.allocate(Statx.LAYOUT);
            int r = (int) STATX.call(state, dirfd, cString(arena, path), flags,
                    Statx.STATX_BASIC_STATS | Statx.STATX_MNT_ID, ptr(buffer));
            if (r == -1) throw Native.failure("statx", state, path.isEmpty() ? "fd " + dirfd : path);
            return Statx.toFileStat(buffer);
        }
    }

    // syscall(2) for pidfd_open(2) and pidfd_send_signal(2): their numbers (434, 424) are the same on every port,
    // and glibc only wraps them since 2.36. Every variadic argument goes as a long, the width the kernel reads.
    private static final long SYS_PIDFD_SEND_SIGNAL = 424, SYS_PIDFD_OPEN = 434;

    /** pidfd_open(pid, 0): a close-on-exec descriptor naming the process that has {@code pid} now. */
    public static int pidfdOpen(int pid) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            long r = SYSCALL.call(state, SYS_PIDFD_OPEN, pid, 0);
            if (r == -1) throw Native.failure("pidfd_open", state, "pid " + pid);
            return (int) r;
        }
    }

    /** pidfd_send_signal(pidfd, signal, NULL, 0). */
    public static void pidfdSendSignal(int pidfd, int signal) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            if (SYSCALL.call(state, SYS_PIDFD_SEND_SIGNAL, pidfd, signal, 0, 0) == -1) {
                throw Native.failure("pidfd_send_signal", state, "pidfd " + pidfd + " signal " + signal);
            }
        }
    }
}
