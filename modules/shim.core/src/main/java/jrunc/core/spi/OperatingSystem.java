package jrunc.core.spi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The kernel as jrunc sees it. {@code shim.linux} provides the one real implementation (FFM downcalls); tests in
 * {@code shim.core} use fakes. Methods that fail in the kernel throw {@link ErrnoException}, which carries errno.
 */
public interface OperatingSystem {

    /** The provider on the module path ({@code shim.linux}); fails clearly when none is there. */
    static OperatingSystem load() {
        return ServiceLoader.load(OperatingSystem.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no jrunc.core.spi.OperatingSystem provider (shim.linux missing from the image?)"));
    }

    // --- identity -------------------------------------------------------------------------------------------
    int pid();

    int euid();

    int egid();

    /** prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are re-parented to this process. */
    void becomeChildSubreaper() throws IOException;

    // --- processes ------------------------------------------------------------------------------------------
    /**
     * Starts a process with posix_spawn (never the JDK's process API: its reaper would fight ours). The returned pid
     * is a child of this process; its exit reaches {@link #reaper()} subscribers unless it is {@link Spawn#detached}.
     * Callers who need the exit of this exact child use {@link Reaper#start(Spawn)} instead, which cannot miss it.
     */
    int spawn(Spawn spawn) throws IOException;

    /** The single reaper of this process: waitpid(-1) in one thread, exits fanned out. Started on first use. */
    Reaper reaper();

    /** kill(2). A process that no longer exists gives {@link ErrnoException} with errno ESRCH (3). */
    void kill(int pid, int signal) throws IOException;

    /** True when /proc/&lt;pid&gt; exists (the pid is in use, by someone). */
    boolean isAlive(int pid);

    /**
     * pidfd_open(2): a descriptor that names the process now holding {@code pid}, and keeps naming that process
     * even if it exits and the number is reused. Checking who it is after opening it, then signalling through it
     * ({@link #pidfdSendSignal}), leaves no window for a reused pid. ESRCH when no process has the pid.
     */
    int pidfdOpen(int pid) throws IOException;

    /** pidfd_send_signal(2) through a descriptor from {@link #pidfdOpen}. ESRCH once that process has exited. */
    void pidfdSendSignal(int pidfd, int signal) throws IOException;

    /** poll(2) on a pidfd: true once its process has exited (a zombie counts), false if {@code timeout} passed first. */
    default boolean awaitExit(int pidfd, Duration timeout) throws IOException {
        throw new UnsupportedOperationException("pidfd poll is not supported here");
    }

    /** setpgid(0, 0): this process becomes the leader of a process group of its own. */
    default void leadOwnProcessGroup() throws IOException {
        throw new UnsupportedOperationException("setpgid is not supported here");
    }

    /**
     * chdir(2): this process's working directory, as {@code /proc/<pid>/cwd} shows it. The JDK's {@code user.dir}
     * does not follow, so a process that moves uses absolute paths only from then on.
     */
    default void changeDirectory(Path dir) throws IOException {
        throw new UnsupportedOperationException("chdir is not supported here");
    }

    /**
     * Writes {@code argv} over this process's command line, in the memory {@code /proc/<pid>/cmdline} is read from
     * (setproctitle's way: where the kernel records the arguments cannot be moved without CAP_SYS_RESOURCE). A
     * shorter command line leaves NUL padding, which reads as empty trailing arguments.
     *
     * @throws IOException the new command line is longer than the space the first had, or that space is not
     *                     what {@code /proc/self/cmdline} says it holds
     */
    default void rewriteCommandLine(List<String> argv) throws IOException {
        throw new UnsupportedOperationException("rewriting the command line is not supported here");
    }

    // --- file descriptors -----------------------------------------------------------------------------------
    /** pipe2(O_CLOEXEC): {@code [readFd, writeFd]}. */
    int[] pipe() throws IOException;

    /** open(2) with the given flags (see {@link OpenFlags}) and mode; returns the fd. */
    int open(Path path, int flags, int mode) throws IOException;

    void close(int fd);

    /** Blocking stream over an fd; closing it closes the fd. */
    InputStream inputStream(int fd);

    /** Blocking stream over an fd; closing it closes the fd. */
    OutputStream outputStream(int fd);

    /**
     * The process's stdio copier: one loop for every stream (epoll in {@code shim.linux}), started on its first
     * copy.
     */
    StreamCopier streamCopier();

    /** ioctl FIONREAD: how many bytes wait to be read in the pipe or FIFO {@code fd} is an end of. */
    default int unreadBytes(int fd) throws IOException {
        throw new IOException("unreadBytes is not supported here");
    }

    /** dup2(fd, 2): makes the shim's stderr (its log) go to fd. */
    void redirectStderr(int fd) throws IOException;

    /** mkfifo(3). */
    void mkfifo(Path path, int mode) throws IOException;

    /** fchown on a descriptor (stdio pipes handed to the container get io_uid/io_gid). */
    void fchown(int fd, int uid, int gid) throws IOException;

    /**
     * lstat(2) (through statx): what {@code path} is, never following a final symbolic link. A missing path gives
     * {@link ErrnoException} ENOENT.
     */
    FileStat lstat(Path path) throws IOException;

    /**
     * The whole content of a regular file, read so that a hostile file can neither block nor exhaust the caller:
     * the type is checked first ({@link #lstat}), so FIFOs, devices and sockets are never opened; the open uses
     * O_NOFOLLOW|O_NONBLOCK, and the opened file must be the one checked; at most {@code maxBytes} are read.
     *
     * @throws UnsafeFileException not a regular file, swapped meanwhile, or more than {@code maxBytes}
     * @throws ErrnoException      ENOENT when missing, EACCES, …
     */
    byte[] readRegularFile(Path path, int maxBytes) throws IOException;

    // --- Unix sockets ---------------------------------------------------------------------------------------
    /**
     * socket/bind/listen on a filesystem Unix socket, mode 0600. Like every fd this interface opens it is close-on-exec;
     * {@link #spawn} hands it to a child through {@link Spawn#fds()} (as fd 3 for the shim daemon), and the dup there
     * clears the flag in the child only. Throws {@link ErrnoException} EADDRINUSE (98) when the path exists.
     */
    int listenUnix(Path path) throws IOException;

    /** Turns an inherited listening fd (fd 3 from {@code start}) into a JDK channel: dup2(fd, 0) + System.inheritedChannel(). */
    ServerSocketChannel inheritedListener(int fd) throws IOException;

    /**
     * Connects to the listening Unix socket at {@code path}, waiting at most {@code timeout} for a full backlog.
     * ECONNREFUSED when nothing listens there, ENOENT when there is no such file.
     */
    default HandoffConnection connectHandoff(Path path, Duration timeout) throws IOException {
        throw new UnsupportedOperationException("descriptor hand-off is not supported here");
    }

    /**
     * Accepts one connection on a listening fd from {@link #listenUnix}; null when none came within {@code timeout}.
     * {@code beforeAccept} runs once one waits, before it is accepted.
     */
    default HandoffConnection acceptHandoff(int listener, Duration timeout, Runnable beforeAccept) throws IOException {
        throw new UnsupportedOperationException("descriptor hand-off is not supported here");
    }

    /** getsockname(2) of a listening Unix socket: the path it was bound to. */
    default Path boundPath(int listener) throws IOException {
        throw new UnsupportedOperationException("getsockname is not supported here");
    }

    // --- mounts ---------------------------------------------------------------------------------------------
    /** mount(2): flags are MS_* bits (see {@link MountFlags}), data the fs-specific string (may be null). */
    void mount(String source, Path target, String fsType, long flags, String data) throws IOException;

    /** umount2(2). EINVAL (22) = not a mount point; EBUSY (16) = busy. */
    void unmount(Path target, int flags) throws IOException;

    /** The text of /proc/self/mountinfo (parsed in shim.core). */
    String mountInfo() throws IOException;

    // --- process attributes ---------------------------------------------------------------------------------
    int oomScoreAdj(int pid) throws IOException;

    void setOomScoreAdj(int pid, int score) throws IOException;

    /** Moves pid into a cgroup path (v1: every mounted hierarchy; v2: the unified tree). */
    void joinCgroup(int pid, String cgroupPath) throws IOException;

    /** prctl(PR_SCHED_CORE, PR_SCHED_CORE_CREATE, pgid, PIDTYPE_PGID): a core-scheduling cookie for a process group. */
    void createSchedCoreCookie(int pgid) throws IOException;

    // --- terminals ------------------------------------------------------------------------------------------
    /**
     * A console socket at {@code <dir>/pty<random>/pty.sock}, the directory private to the shim (0700). runc is
     * given its path with {@code --console-socket} and sends the pty master over it.
     */
    ConsoleSocket openConsoleSocket(Path dir) throws IOException;

    /** ioctl(TIOCSWINSZ) on a pty master: {@code width} columns, {@code height} rows (pixels 0), as containerd's ResizePty. */
    void resizePty(int fd, int width, int height) throws IOException;

    /** fcntl(F_DUPFD_CLOEXEC): a second, independently closable fd for the same open file (a pty master read and written by two copiers). */
    int dup(int fd) throws IOException;

    // --- cgroup metrics -------------------------------------------------------------------------------------
    /**
     * The metrics of a container's cgroup, read as containerd/cgroups reads them for Stats:
     * {@code jrunc.proto.cgroups.v1.Metrics} when any v1 hierarchy is mounted (a v1 or hybrid host, as containerd's
     * {@code cgroups.Mode()} decides), else {@code jrunc.proto.cgroups.v2.Metrics} from the unified tree.
     *
     * @param cgroupsPath the spec's {@code linux.cgroupsPath}; used when absolute (the cgroupfs driver's form)
     * @param pid         the init's pid, whose {@code /proc/<pid>/cgroup} locates the cgroup otherwise (a systemd
     *                    {@code slice:prefix:name} or no path at all); 0 when it has exited
     * @throws java.nio.file.NoSuchFileException the cgroup exists in no hierarchy (missing controllers and files are
     *                    skipped, as containerd ignores ErrNotExist)
     */
    com.google.protobuf.Message cgroupMetrics(String cgroupsPath, int pid) throws IOException;

    // --- memory cgroup events -------------------------------------------------------------------------------
    /**
     * Watches a container's memory cgroup and runs {@code onOom} each time the kernel OOM-kills in it, as
     * containerd's runc shim does for {@code /tasks/oom} (v1.6.20 runtime/v2/runc/task/ep_v1.go, oom_v2.go): an
     * eventfd on {@code memory.oom_control} when the memory controller is a v1 hierarchy, else an inotify watch on
     * the unified tree's {@code memory.events}, counting {@code oom_kill}. {@code onOom} runs on the one watcher
     * thread of the process: keep it short. Closing the watch ends it; so does the cgroup's removal.
     *
     * @param cgroupsPath the spec's {@code linux.cgroupsPath}; used when absolute (the cgroupfs driver's form)
     * @param pid         the init's pid, whose {@code /proc/<pid>/cgroup} locates the cgroup otherwise
     * @throws java.nio.file.NoSuchFileException there is no memory cgroup to watch
     */
    AutoCloseable watchOom(String cgroupsPath, int pid, Runnable onOom) throws IOException;

    // --- locks ----------------------------------------------------------------------------------------------
    /**
     * flock(LOCK_EX) on {@code path} (a directory will do), waiting for it; held until the returned lock is closed.
     * Advisory: it only keeps out others who take it too.
     */
    AutoCloseable lockExclusive(Path path) throws IOException;

    /** Flags for {@link #open}: Linux x86_64/aarch64 values. */
    final class OpenFlags {
        public static final int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100, O_TRUNC = 01000,
                O_APPEND = 02000, O_NONBLOCK = 04000, O_CLOEXEC = 02000000;

        private OpenFlags() {}
    }

    /** MS_* flags for {@link #mount} and MNT_* for {@link #unmount}. */
    final class MountFlags {
        public static final long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_SYNCHRONOUS = 16,
                MS_REMOUNT = 32, MS_MANDLOCK = 64, MS_DIRSYNC = 128, MS_NOATIME = 1024, MS_NODIRATIME = 2048,
                MS_BIND = 4096, MS_MOVE = 8192, MS_REC = 16384, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19,
                MS_SHARED = 1 << 20, MS_RELATIME = 1 << 21, MS_STRICTATIME = 1 << 24;
        public static final int MNT_FORCE = 1, MNT_DETACH = 2;
        /** umount2(2): do not follow a final symbolic link (a link named rootfs must not unmount its target). */
        public static final int UMOUNT_NOFOLLOW = 8;

        private MountFlags() {}
    }
}
