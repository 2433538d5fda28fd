package jrunc.core.manager;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.Exit;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.Reaper;
import jrunc.core.spi.Spawn;

/** A scripted kernel for the manager's tests: records spawns, kills and unmounts; mounts come from a list. */
final class FakeOs implements OperatingSystem {
    final List<Spawn> spawned = new ArrayList<>();
    final List<String> unmounted = new ArrayList<>();
    final List<Integer> killed = new ArrayList<>();
    final List<String> mounts = new ArrayList<>();
    final Map<String, Integer> busyCount = new HashMap<>();
    final List<Integer> unmountFlags = new ArrayList<>();
    /** What a spawned program prints and its exit status, by argv. */
    Function<List<String>, Map.Entry<Integer, String>> program = argv -> Map.entry(0, "");
    /** When set, a started program runs until it is killed (a hung runc). */
    boolean programsHang;
    private final Map<Integer, CompletableFuture<Exit>> running = new HashMap<>();
    private final Map<Integer, String> pipes = new HashMap<>();
    private int nextFd = 100;
    private int nextPid = 1000;

    @Override public int pid() { return 1; }
    @Override public int euid() { return 0; }
    @Override public int egid() { return 0; }
    @Override public void becomeChildSubreaper() {}

    @Override
    public int spawn(Spawn spawn) {
        spawned.add(spawn);
        return nextPid++;
    }

    @Override
    public Reaper reaper() {
        return new Reaper() {
            @Override
            public Child start(Spawn spawn) {
                int pid = spawn(spawn);
                Map.Entry<Integer, String> result = program.apply(spawn.argv());
                Integer out = spawn.fds().get(1);
                if (out != null) pipes.put(out - 1, result.getValue());
                if (programsHang) {
                    CompletableFuture<Exit> exit = new CompletableFuture<>();
                    synchronized (running) {
                        running.put(pid, exit);
                    }
                    return new Child(pid, exit);
                }
                return new Child(pid, CompletableFuture.completedFuture(new Exit(pid, result.getKey(), Instant.EPOCH)));
            }

            @Override
            public AutoCloseable subscribe(Consumer<Exit> subscriber) {
                return () -> {};
            }
        };
    }

    @Override
    public void kill(int pid, int signal) {
        synchronized (killed) {
            killed.add(pid);
        }
        CompletableFuture<Exit> exit;
        synchronized (running) {
            exit = running.remove(pid);
        }
        if (exit != null) exit.complete(new Exit(pid, 128 + signal, Instant.EPOCH));
    }
    @Override public boolean isAlive(int pid) { return false; }
    @Override public int pidfdOpen(int pid) throws IOException { throw new ErrnoException("pidfd_open", ErrnoException.ESRCH, null); }
    @Override public void pidfdSendSignal(int pidfd, int signal) throws IOException { throw new ErrnoException("pidfd_send_signal", ErrnoException.ESRCH, null); }

    @Override
    public int[] pipe() {
        int r = nextFd++;
        int w = nextFd++;
        return new int[] {r, w};
    }

    @Override public int open(Path path, int flags, int mode) { return nextFd++; }
    @Override public void close(int fd) { closed.add(fd); }

    @Override
    public InputStream inputStream(int fd) {
        return new ByteArrayInputStream(pipes.getOrDefault(fd, "").getBytes(StandardCharsets.UTF_8));
    }

    @Override public OutputStream outputStream(int fd) { return OutputStream.nullOutputStream(); }
    @Override public jrunc.core.spi.StreamCopier streamCopier() { throw new UnsupportedOperationException(); }
    @Override public void redirectStderr(int fd) {}
    @Override public void mkfifo(Path path, int mode) {}
    @Override public void fchown(int fd, int uid, int gid) {}
    @Override public jrunc.core.spi.FileStat lstat(Path path) throws IOException { return jrunc.core.spi.JavaFiles.lstat(path); }
    @Override public byte[] readRegularFile(Path path, int maxBytes) throws IOException { return jrunc.core.spi.JavaFiles.readRegularFile(path, maxBytes); }
    /**
     * bind(2) on a path that exists fails with EADDRINUSE; otherwise a file stands for the socket, so that the code
     * under test sees what it would on disk.
     */
    @Override
    public int listenUnix(Path path) throws IOException {
        if (java.nio.file.Files.exists(path)) throw new ErrnoException("bind", ErrnoException.EADDRINUSE, path.toString());
        java.nio.file.Files.createFile(path);
        listening.add(path);
        return nextFd++;
    }

    /** Sockets bound through {@link #listenUnix}, in order. */
    final List<Path> listening = new ArrayList<>();
    final List<Integer> closed = new ArrayList<>();
    @Override public ServerSocketChannel inheritedListener(int fd) { throw new UnsupportedOperationException(); }
    @Override public void mount(String source, Path target, String fsType, long flags, String data) {}

    @Override
    public void unmount(Path target, int flags) throws IOException {
        String t = target.toString();
        unmountFlags.add(flags);
        int busy = busyCount.getOrDefault(t, 0);
        if ((flags & MountFlags.MNT_DETACH) != 0) busy = 0;
        if (busy > 0) {
            busyCount.put(t, busy - 1);
            throw new ErrnoException("umount2", ErrnoException.EBUSY, t);
        }
        if (!mounts.remove(t)) throw new ErrnoException("umount2", ErrnoException.EINVAL, t);
        unmounted.add(t);
    }

    @Override
    public String mountInfo() {
        StringBuilder sb = new StringBuilder("1 0 8:1 / / rw - ext4 /dev/vda1 rw\n");
        int id = 10;
        for (String m : mounts) sb.append(id++).append(" 1 0:1 / ").append(m).append(" rw - overlay overlay rw\n");
        return sb.toString();
    }

    /** Every process's oom_score_adj, as set; unset ones read -999 (containerd's on Debian). */
    final Map<Integer, Integer> oomScores = new HashMap<>();
    final Map<Integer, String> cgroups = new HashMap<>();
    int schedCoreCookies;
    /** When set, setting an OOM score fails with this. */
    IOException oomScoreFailure;

    @Override public int oomScoreAdj(int pid) { return oomScores.getOrDefault(pid, -999); }

    @Override
    public void setOomScoreAdj(int pid, int score) throws IOException {
        if (oomScoreFailure != null) throw oomScoreFailure;
        oomScores.put(pid, score);
    }

    @Override public void joinCgroup(int pid, String cgroupPath) { cgroups.put(pid, cgroupPath); }
    @Override public void createSchedCoreCookie(int pgid) { schedCoreCookies++; }

    @Override public jrunc.core.spi.ConsoleSocket openConsoleSocket(Path dir) { throw new UnsupportedOperationException(); }
    @Override public void resizePty(int fd, int width, int height) { throw new UnsupportedOperationException(); }
    @Override public int dup(int fd) { throw new UnsupportedOperationException(); }
    @Override public com.google.protobuf.Message cgroupMetrics(String cgroupsPath, int pid) { throw new UnsupportedOperationException(); }

    @Override public AutoCloseable watchOom(String cgroupsPath, int pid, Runnable onOom) { throw new UnsupportedOperationException(); }
    /** Paths locked with {@link #lockExclusive}, in order. */
    final List<Path> locks = new ArrayList<>();

    @Override
    public AutoCloseable lockExclusive(Path path) {
        locks.add(path);
        return () -> {};
    }
}
