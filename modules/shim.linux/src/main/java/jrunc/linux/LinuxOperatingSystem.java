package jrunc.linux;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import jrunc.core.spi.ConsoleSocket;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.FileStat;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.Reaper;
import jrunc.core.spi.Spawn;
import jrunc.core.spi.StreamCopier;
import jrunc.linux.ffi.Constants;
import jrunc.linux.ffi.Events;
import jrunc.linux.ffi.Libc;
import jrunc.linux.ffi.Terminal;

/**
 * The kernel, reached through FFM downcalls into glibc ({@link jrunc.linux.ffi}) and /proc. Holds no state of its
 * own: the process-wide reaper is shared by every instance, and nothing native is bound until a method needs it.
 */
public final class LinuxOperatingSystem implements OperatingSystem {
    private static final Path PROC = Path.of("/proc");

    /** For {@link java.util.ServiceLoader}. */
    public LinuxOperatingSystem() {}

    // --- identity -------------------------------------------------------------------------------------------
    @Override
    public int pid() {
        return (int) ProcessHandle.current().pid();
    }

    @Override
    public int euid() {
        return Libc.geteuid();
    }

    @Override
    public int egid() {
        return Libc.getegid();
    }

    @Override
    public void becomeChildSubreaper() throws IOException {
        Libc.prctl(Constants.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }

    // --- processes ------------------------------------------------------------------------------------------
    @Override
    public int spawn(Spawn spawn) throws IOException {
        // a detached spawn must not start the reaper thread: `start` does exactly one and exits
        return spawn.detached() ? LinuxReaper.spawnDetached(spawn) : LinuxReaper.process().spawn(spawn);
    }

    @Override
    public Reaper reaper() {
        return LinuxReaper.process();
    }

    @Override
    public void kill(int pid, int signal) throws IOException {
        Libc.kill(pid, signal);
    }

    @Override
    public boolean isAlive(int pid) {
        return Files.exists(PROC.resolve(Integer.toString(pid)));
    }

    @Override
    public int pidfdOpen(int pid) throws IOException {
        return Libc.pidfdOpen(pid);
    }

    @Override
    public void pidfdSendSignal(int pidfd, int signal) throws IOException {
        Libc.pidfdSendSignal(pidfd, signal);
    }

    @Override
    public boolean awaitExit(int pidfd, java.time.Duration timeout) throws IOException {
        // a pidfd polls readable once its process has exited
        return jrunc.linux.ffi.Terminal.awaitReadable(pidfd, (int) Math.min(Integer.MAX_VALUE, Math.max(0, timeout.toMillis())));
    }

    @Override
    public void leadOwnProcessGroup() throws IOException {
        Libc.setpgid(0, 0);
    }

    @Override
    public void changeDirectory(Path dir) throws IOException {
        Libc.chdir(dir.toAbsolutePath().toString());
    }

    @Override
    public void rewriteCommandLine(java.util.List<String> argv) throws IOException {
        CommandLine.rewrite(argv);
    }

    // --- file descriptors -----------------------------------------------------------------------------------
    @Override
    public int[] pipe() throws IOException {
        return Libc.pipe2(Constants.O_CLOEXEC);
    }

    /** open(2), always with O_CLOEXEC added: a child gets an fd only through {@link Spawn#fds()}. */
    @Override
    public int open(Path path, int flags, int mode) throws IOException {
        return Libc.open(path.toString(), flags | Constants.O_CLOEXEC, mode);
    }

    /** close(2); an error (EBADF: already closed) is ignored, there is nothing the caller could do about it. */
    @Override
    public void close(int fd) {
        try {
            Libc.close(fd);
        } catch (ErrnoException ignored) {
            // see javadoc
        }
    }

    @Override
    public InputStream inputStream(int fd) {
        return new FdInputStream(fd);
    }

    @Override
    public OutputStream outputStream(int fd) {
        return new FdOutputStream(fd);
    }

    /** One epoll loop for every stdio stream of the process ({@link StdioLoop}). */
    @Override
    public StreamCopier streamCopier() {
        return StdioLoop.process();
    }

    @Override
    public int unreadBytes(int fd) throws IOException {
        return Terminal.unreadBytes(fd);
    }

    @Override
    public void redirectStderr(int fd) throws IOException {
        Libc.dup2(fd, 2);
    }

    @Override
    public void mkfifo(Path path, int mode) throws IOException {
        Libc.mkfifo(path.toString(), mode);
    }

    @Override
    public void fchown(int fd, int uid, int gid) throws IOException {
        Libc.fchown(fd, uid, gid);
    }

    @Override
    public FileStat lstat(Path path) throws IOException {
        return Libc.lstat(path.toString());
    }

    @Override
    public byte[] readRegularFile(Path path, int maxBytes) throws IOException {
        return RegularFileReader.read(path, maxBytes);
    }

    // --- Unix sockets ---------------------------------------------------------------------------------------
    @Override
    public int listenUnix(Path path) throws IOException {
        return UnixListener.listen(path);
    }

    @Override
    public ServerSocketChannel inheritedListener(int fd) throws IOException {
        return UnixListener.inherited(fd);
    }

    @Override
    public jrunc.core.spi.HandoffConnection connectHandoff(Path path, java.time.Duration timeout) throws IOException {
        return LinuxHandoffConnection.connect(path, timeout);
    }

    @Override
    public jrunc.core.spi.HandoffConnection acceptHandoff(int listener, java.time.Duration timeout, Runnable beforeAccept)
            throws IOException {
        return LinuxHandoffConnection.accept(listener, timeout, beforeAccept);
    }

    @Override
    public Path boundPath(int listener) throws IOException {
        return jrunc.linux.ffi.Handoff.boundPath(listener);
    }

    // --- mounts ---------------------------------------------------------------------------------------------
    @Override
    public void mount(String source, Path target, String fsType, long flags, String data) throws IOException {
        Libc.mount(source, target.toString(), fsType, flags, data);
    }

    @Override
    public void unmount(Path target, int flags) throws IOException {
        Libc.umount2(target.toString(), flags);
    }

    @Override
    public String mountInfo() throws IOException {
        return Files.readString(PROC.resolve("self/mountinfo"));
    }

    // --- process attributes ---------------------------------------------------------------------------------
    @Override
    public int oomScoreAdj(int pid) throws IOException {
        return Integer.parseInt(Files.readString(oomScoreAdjFile(pid)).trim());
    }

    @Override
    public void setOomScoreAdj(int pid, int score) throws IOException {
        Files.writeString(oomScoreAdjFile(pid), Integer.toString(score));
    }

    @Override
    public void joinCgroup(int pid, String cgroupPath) throws IOException {
        Cgroups.join(CgroupHierarchy.parse(mountInfo()), pid, cgroupPath);
    }

    /** EINVAL or ENODEV: the kernel has no core scheduling (or SMT); the caller logs it and goes on. */
    @Override
    public void createSchedCoreCookie(int pgid) throws IOException {
        Libc.prctl(Constants.PR_SCHED_CORE, Constants.PR_SCHED_CORE_CREATE, pgid,
                Constants.PR_SCHED_CORE_SCOPE_PROCESS_GROUP, 0);
    }

    private static Path oomScoreAdjFile(int pid) {
        return PROC.resolve(pid + "/oom_score_adj");
    }

    // --- terminals ------------------------------------------------------------------------------------------
    @Override
    public ConsoleSocket openConsoleSocket(Path dir) throws IOException {
        return LinuxConsoleSocket.open(dir);
    }

    @Override
    public void resizePty(int fd, int width, int height) throws IOException {
        Terminal.setWinSize(fd, new Terminal.WinSize(height, width, 0, 0));
    }

    @Override
    public int dup(int fd) throws IOException {
        return Terminal.dupCloexec(fd);
    }

    // --- cgroup metrics -------------------------------------------------------------------------------------
    /** A pid whose /proc entry is gone (it exited in between) locates nothing; absolute cgroupsPaths still work. */
    @Override
    public com.google.protobuf.Message cgroupMetrics(String cgroupsPath, int pid) throws IOException {
        String procCgroup = pid > 0 ? CgroupFiles.read(PROC.resolve(pid + "/cgroup")) : null;
        return CgroupStats.read(CgroupHierarchy.parse(mountInfo()), cgroupsPath, procCgroup);
    }

    // --- memory cgroup events -------------------------------------------------------------------------------
    /** Locates the memory cgroup as {@link #cgroupMetrics} locates the cgroup, and watches it (see {@link OomMonitor}). */
    @Override
    public AutoCloseable watchOom(String cgroupsPath, int pid, Runnable onOom) throws IOException {
        List<CgroupHierarchy> hierarchies = CgroupHierarchy.parse(mountInfo());
        String procCgroup = pid > 0 ? CgroupFiles.read(PROC.resolve(pid + "/cgroup")) : null;
        Map<String, Path> paths = CgroupStats.paths(cgroupsPath, procCgroup);
        Optional<CgroupHierarchy> memory = hierarchies.stream().filter(h -> h.hasController("memory")).findFirst();
        if (memory.isPresent()) {
            Path relative = paths.containsKey("") ? paths.get("") : paths.get("memory");
            if (relative == null) throw new NoSuchFileException(cgroupsPath, null, "no v1 memory cgroup for pid " + pid);
            return OomMonitor.process().watchV1(memory.get().mountPoint().resolve(relative.toString()), onOom);
        }
        CgroupHierarchy unified = hierarchies.stream().filter(CgroupHierarchy::unified).findFirst()
                .orElseThrow(() -> new NoSuchFileException("/sys/fs/cgroup", null, "no memory cgroup hierarchy is mounted"));
        Path relative = paths.containsKey("") ? paths.get("") : paths.get("unified");
        if (relative == null) throw new NoSuchFileException(cgroupsPath, null, "cgroup not found in the unified tree");
        return OomMonitor.process().watchCounter(unified.mountPoint().resolve(relative.toString()).resolve("memory.events"),
                "oom_kill", onOom);
    }

    // --- locks ----------------------------------------------------------------------------------------------
    @Override
    public AutoCloseable lockExclusive(Path path) throws IOException {
        int fd = Libc.open(path.toString(), Constants.O_CLOEXEC, 0);
        try {
            while (true) {
                try {
                    Events.flock(fd, Events.LOCK_EX);
                    break;
                } catch (ErrnoException e) {
                    if (e.errno() != ErrnoException.EINTR) throw e;
                }
            }
        } catch (IOException | RuntimeException e) {
            close(fd);
            throw e;
        }
        // closing the fd releases the lock
        return () -> close(fd);
    }
}
