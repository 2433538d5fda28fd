package jrunc.linux.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import jrunc.core.spi.ErrnoException;

/**
 * glibc calls on processes, descriptors and mounts. Each wrapper checks the return value and turns -1 into an
 * {@link ErrnoException} carrying the errno captured with the call. Handles are bound on first use (one holder
 * class per function). Sockets are in {@link UnixSocket}, posix_spawn in {@link PosixSpawn}.
 */
public final class Libc {
    private Libc() {}

    /** A waitpid(2) result: {@code pid} 0 means WNOHANG found nothing. */
    public record Waited(int pid, int status) {}

    // geteuid(2), getegid(2): always succeed
    private static final class Geteuid {
        static final MethodHandle MH = Native.downcall("geteuid", FunctionDescriptor.of(JAVA_INT));
    }

    private static final class Getegid {
        static final MethodHandle MH = Native.downcall("getegid", FunctionDescriptor.of(JAVA_INT));
    }

    public static int geteuid() {
        try {
            return (int) Geteuid.MH.invokeExact();
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    public static int getegid() {
        try {
            return (int) Getegid.MH.invokeExact();
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    // prctl(2): int prctl(int option, ...); the variadic arguments are unsigned longs
    private static final class Prctl {
        static final MethodHandle MH = Native.errnoDowncall("prctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
    }

    // prctl(2) for the PR_GET_* options that store an int through a pointer
    private static final class PrctlGetInt {
        static final MethodHandle MH = Native.errnoDowncall("prctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS), Linker.Option.firstVariadicArg(1));
    }

    public static int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r;
            try {
                r = (int) Prctl.MH.invokeExact(state, option, arg2, arg3, arg4, arg5);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("prctl", state, "option " + option);
            return r;
        }
    }

    /** prctl(option, &value) for options such as PR_GET_CHILD_SUBREAPER. */
    public static int prctlGetInt(int option) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment value = arena.allocate(JAVA_INT);
            int r;
            try {
                r = (int) PrctlGetInt.MH.invokeExact(state, option, value);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("prctl", state, "option " + option);
            return value.get(JAVA_INT, 0);
        }
    }

    // kill(2)
    private static final class Kill {
        static final MethodHandle MH = Native.errnoDowncall("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    public static void kill(int pid, int signal) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r;
            try {
                r = (int) Kill.MH.invokeExact(state, pid, signal);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("kill", state, "pid " + pid + " signal " + signal);
        }
    }

    // waitpid(2)
    private static final class Waitpid {
        static final MethodHandle MH = Native.errnoDowncall("waitpid",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    }

    /** waitpid(2) once; EINTR surfaces as an exception like any other errno (the caller loops). */
    public static Waited waitpid(int pid, int options) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment status = arena.allocate(JAVA_INT);
            int r;
            try {
                r = (int) Waitpid.MH.invokeExact(state, pid, status, options);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("waitpid", state, "pid " + pid);
            return new Waited(r, status.get(JAVA_INT, 0));
        }
    }

    // pipe2(2)
    private static final class Pipe2 {
        static final MethodHandle MH = Native.errnoDowncall("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    /** pipe2(2): {@code [readFd, writeFd]}. */
    public static int[] pipe2(int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int r;
            try {
                r = (int) Pipe2.MH.invokeExact(state, fds, flags);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("pipe2", state, null);
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    // open(2): int open(const char *path, int flags, ...); mode_t is promoted to int
    private static final class Open {
        static final MethodHandle MH = Native.errnoDowncall("open",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    }

    public static int open(String path, int flags, int mode) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int fd;
            try {
                fd = (int) Open.MH.invokeExact(state, arena.allocateFrom(path), flags, mode);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (fd == -1) throw Native.failure("open", state, path);
            return fd;
        }
    }

    // close(2)
    private static final class Close {
        static final MethodHandle MH = Native.errnoDowncall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    /**
     * close(2), never retried: on Linux the descriptor is released even when close reports EINTR, and a retry
     * could close a descriptor another thread has just been given.
     */
    public static void close(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r;
            try {
                r = (int) Close.MH.invokeExact(state, fd);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("close", state, "fd " + fd);
        }
    }

    // read(2), write(2): ssize_t f(int fd, void *buf, size_t count)
    private static final class Read {
        static final MethodHandle MH = Native.errnoDowncall("read",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    }

    private static final class Write {
        static final MethodHandle MH = Native.errnoDowncall("write",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    }

    /** read(2) into {@code buffer}; 0 is end of file. Blocks the calling (platform) thread. */
    public static long read(int fd, MemorySegment buffer) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            long n;
            try {
                n = (long) Read.MH.invokeExact(state, fd, buffer, buffer.byteSize());
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (n == -1) throw Native.failure("read", state, "fd " + fd);
            return n;
        }
    }

    /** write(2) from {@code buffer}; may write less than all of it. */
    public static long write(int fd, MemorySegment buffer) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            long n;
            try {
                n = (long) Write.MH.invokeExact(state, fd, buffer, buffer.byteSize());
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (n == -1) throw Native.failure("write", state, "fd " + fd);
            return n;
        }
    }

    // dup(2), dup2(2), dup3(2)
    private static final class Dup {
        static final MethodHandle MH = Native.errnoDowncall("dup", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    private static final class Dup3 {
        static final MethodHandle MH = Native.errnoDowncall("dup3",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }

    /** dup(2): the copy does NOT have FD_CLOEXEC. */
    public static int dup(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r;
            try {
                r = (int) Dup.MH.invokeExact(state, fd);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
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
            int r;
            try {
                r = (int) Dup3.MH.invokeExact(state, oldFd, newFd, flags);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("dup2", state, "fd " + oldFd + " to " + newFd);
        }
    }

    // mkfifo(3), fchown(2)
    private static final class Mkfifo {
        static final MethodHandle MH = Native.errnoDowncall("mkfifo", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    private static final class Fchown {
        static final MethodHandle MH = Native.errnoDowncall("fchown",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }

    public static void mkfifo(String path, int mode) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r;
            try {
                r = (int) Mkfifo.MH.invokeExact(state, arena.allocateFrom(path), mode);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("mkfifo", state, path);
        }
    }

    public static void fchown(int fd, int uid, int gid) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r;
            try {
                r = (int) Fchown.MH.invokeExact(state, fd, uid, gid);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("fchown", state, "fd " + fd + " to " + uid + ":" + gid);
        }
    }

    // mount(2): int mount(const char *source, const char *target, const char *fstype, unsigned long flags,
    //                     const void *data); umount2(2): int umount2(const char *target, int flags)
    private static final class Mount {
        static final MethodHandle MH = Native.errnoDowncall("mount",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    }

    private static final class Umount2 {
        static final MethodHandle MH = Native.errnoDowncall("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    /** mount(2); null strings are passed as NULL (a bind or remount needs no fstype or data). */
    public static void mount(String source, String target, String fsType, long flags, String data)
            throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r;
            try {
                r = (int) Mount.MH.invokeExact(state, cString(arena, source), arena.allocateFrom(target),
                        cString(arena, fsType), flags, cString(arena, data));
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("mount", state, source + " on " + target);
        }
    }

    public static void umount2(String target, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r;
            try {
                r = (int) Umount2.MH.invokeExact(state, arena.allocateFrom(target), flags);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("umount2", state, target);
        }
    }

    private static MemorySegment cString(Arena arena, String s) {
        return s == null ? MemorySegment.NULL : arena.allocateFrom(s);
    }

    // statx(2): int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf)
    private static final class StatxCall {
        static final MethodHandle MH = Native.errnoDowncall("statx",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    }

    /** lstat(2) of a path, through statx (one struct layout on every port). */
    public static jrunc.core.spi.FileStat lstat(String path) throws ErrnoException {
        return statx(Statx.AT_FDCWD, path, Statx.AT_SYMLINK_NOFOLLOW);
    }

    /** fstat(2) of an open descriptor, through statx with AT_EMPTY_PATH. */
    public static jrunc.core.spi.FileStat fstat(int fd) throws ErrnoException {
        return statx(fd, "", Statx.AT_EMPTY_PATH);
    }

    private static jrunc.core.spi.FileStat statx(int dirfd, String path, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment buffer = arena.allocate(Statx.LAYOUT);
            int r;
            try {
                r = (int) StatxCall.MH.invokeExact(state, dirfd, arena.allocateFrom(path), flags,
                        Statx.STATX_BASIC_STATS | Statx.STATX_MNT_ID, buffer);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("statx", state, path.isEmpty() ? "fd " + dirfd : path);
            return Statx.toFileStat(buffer);
        }
    }

    // syscall(2) for pidfd_open(2) and pidfd_send_signal(2): their numbers (434, 424) are the same on every port,
    // and glibc only wraps them since 2.36. Every variadic argument goes as a long, the width the kernel reads.
    private static final class Syscall2 {
        static final MethodHandle MH = Native.errnoDowncall("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
    }

    private static final class Syscall4 {
        static final MethodHandle MH = Native.errnoDowncall("syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
    }

    private static final long SYS_PIDFD_SEND_SIGNAL = 424, SYS_PIDFD_OPEN = 434;

    /** pidfd_open(pid, 0): a close-on-exec descriptor naming the process that has {@code pid} now. */
    public static int pidfdOpen(int pid) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            long r;
            try {
                r = (long) Syscall2.MH.invokeExact(state, SYS_PIDFD_OPEN, (long) pid, 0L);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("pidfd_open", state, "pid " + pid);
            return (int) r;
        }
    }

    /** pidfd_send_signal(pidfd, signal, NULL, 0). */
    public static void pidfdSendSignal(int pidfd, int signal) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            long r;
            try {
                r = (long) Syscall4.MH.invokeExact(state, SYS_PIDFD_SEND_SIGNAL, (long) pidfd, (long) signal, 0L, 0L);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("pidfd_send_signal", state, "pidfd " + pidfd + " signal " + signal);
        }
    }
}
