package jrunc.core.fake;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channel;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.OperatingSystem.OpenFlags;
import jrunc.core.spi.Reaper;
import jrunc.core.spi.StreamCopier;

/**
 * An {@link OperatingSystem} without a kernel. Pipes are JDK pipes behind a descriptor table with reference counts,
 * so a child started through the {@link FakeReaper} holds its own references to the fds it was given (as after
 * dup2), and a pipe reaches EOF only when every holder has closed its write end, as in the kernel. Mounts are
 * recorded as a stack per target.
 */
public final class FakeOperatingSystem implements OperatingSystem {
    public static final int SHIM_PID = 4242;

    /** One open file description: its channel and how many fds (ours or a child's) refer to it. */
    private static final class Description {
        final Channel channel;
        int refs = 1;

        Description(Channel channel) {
            this.channel = channel;
        }
    }

    public record MountCall(String source, Path target, String type, long flags, String data) {}

    public record Signal(int pid, int signal) {}

    public final FakeReaper reaper = new FakeReaper(this);
    public final List<MountCall> mounts = Collections.synchronizedList(new ArrayList<>());
    public final List<Path> unmounts = Collections.synchronizedList(new ArrayList<>());
    public final List<Signal> signals = Collections.synchronizedList(new ArrayList<>());
    public final List<int[]> chowns = Collections.synchronizedList(new ArrayList<>());
    /** kill(2) of these answers ESRCH. */
    public final Set<Integer> gonePids = Collections.synchronizedSet(new HashSet<>());
    /** Reads through {@link #inputStream} made on a virtual thread: the real ones would pin its carrier. */
    public final AtomicInteger readsOnVirtualThreads = new AtomicInteger();
    /** mount(2) fails with EINVAL for mounts of this source. */
    public volatile String failMountOfSource;
    private final Map<Integer, Description> fds = new HashMap<>(); // guarded by this
    private final Map<Path, Integer> mounted = new HashMap<>(); // guarded by this
    private int nextFd = 100; // guarded by this

    @Override
    public int pid() {
        return SHIM_PID;
    }

    @Override
    public int euid() {
        return 0;
    }

    @Override
    public int egid() {
        return 0;
    }

    @Override
    public void becomeChildSubreaper() {}

    @Override
    public int spawn(jrunc.core.spi.Spawn spawn) throws IOException {
        return reaper.start(spawn).pid();
    }

    @Override
    public Reaper reaper() {
        return reaper;
    }

    @Override
    public void kill(int pid, int signal) throws IOException {
        signals.add(new Signal(pid, signal));
        if (gonePids.contains(pid)) throw new ErrnoException("kill", ErrnoException.ESRCH, null);
        // a command still running (a hung runc) dies of SIGKILL as a real one would
        if (signal == jrunc.core.spi.Signals.SIGKILL && reaper.isRunning(pid)) reaper.exit(pid, 137);
    }

    @Override
    public boolean isAlive(int pid) {
        return !gonePids.contains(pid);
    }

    @Override
    public int pidfdOpen(int pid) throws IOException {
        throw new ErrnoException("pidfd_open", ErrnoException.ESRCH, "pid " + pid);
    }

    @Override
    public void pidfdSendSignal(int pidfd, int signal) throws IOException {
        throw new ErrnoException("pidfd_send_signal", ErrnoException.ESRCH, "pidfd " + pidfd);
    }

    @Override
    public synchronized int[] pipe() throws IOException {
        Pipe p = Pipe.open();
        int r = nextFd++, w = nextFd++;
        fds.put(r, new Description(p.source()));
        fds.put(w, new Description(p.sink()));
        return new int[] {r, w};
    }

    /** Regular files only (a FIFO, or anything else, is ENXIO: as a FIFO without a reader for a write open). */
    @Override
    public int open(Path path, int flags, int mode) throws IOException {
        boolean create = (flags & OpenFlags.O_CREAT) != 0;
        if (!java.nio.file.Files.isRegularFile(path) && !(create && !java.nio.file.Files.exists(path))) {
            throw new ErrnoException("open", ErrnoException.ENXIO, path.toString());
        }
        List<java.nio.file.OpenOption> options = new ArrayList<>();
        int access = flags & 3;
        if (access == OpenFlags.O_RDONLY || access == OpenFlags.O_RDWR) options.add(java.nio.file.StandardOpenOption.READ);
        if (access == OpenFlags.O_WRONLY || access == OpenFlags.O_RDWR) options.add(java.nio.file.StandardOpenOption.WRITE);
        if ((flags & OpenFlags.O_APPEND) != 0) options.add(java.nio.file.StandardOpenOption.APPEND);
        if (create) options.add(java.nio.file.StandardOpenOption.CREATE);
        java.nio.channels.FileChannel file = java.nio.channels.FileChannel.open(path, options.toArray(java.nio.file.OpenOption[]::new));
        synchronized (this) {
            int fd = nextFd++;
            fds.put(fd, new Description(file));
            return fd;
        }
    }

    @Override
    public synchronized void close(int fd) {
        Description d = fds.remove(fd);
        if (d != null) release(d);
    }

    /** A child was given these fds: it holds references of its own until it exits. */
    public synchronized List<Object> retain(Map<Integer, Integer> childFds) {
        List<Object> held = new ArrayList<>();
        for (int parentFd : childFds.values()) {
            Description d = fds.get(parentFd);
            if (d == null) throw new IllegalStateException("spawn with closed fd " + parentFd);
            d.refs++;
            held.add(d);
        }
        return held;
    }

    public synchronized void releaseAll(List<Object> held) {
        for (Object d : held) release((Description) d);
    }

    private void release(Description d) {
        if (--d.refs > 0) return;
        try {
            d.channel.close();
        } catch (IOException ignored) {
            // a fake
        }
    }

    /** The channel behind an fd, for a fake child to read or write its stdio. */
    public synchronized Channel channel(int fd) {
        Description d = fds.get(fd);
        if (d == null) throw new IllegalStateException("fd " + fd + " is not open");
        return d.channel;
    }

    public synchronized int openFds() {
        return fds.size();
    }

    @Override
    public InputStream inputStream(int fd) {
        InputStream in = Channels.newInputStream((ReadableByteChannel) channel(fd));
        return new InputStream() {
            @Override
            public int read() throws IOException {
                if (Thread.currentThread().isVirtual()) readsOnVirtualThreads.incrementAndGet();
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (Thread.currentThread().isVirtual()) readsOnVirtualThreads.incrementAndGet();
                return in.read(b, off, len);
            }

            @Override
            public void close() {
                FakeOperatingSystem.this.close(fd);
            }
        };
    }

    @Override
    public OutputStream outputStream(int fd) {
        OutputStream out = Channels.newOutputStream((WritableByteChannel) channel(fd));
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() {
                FakeOperatingSystem.this.close(fd);
            }
        };
    }

    /** A thread per copy, blocking on the fake's channels: the real loop's behaviour, none of its machinery. */
    @Override
    public StreamCopier streamCopier() {
        return (name, source, sink, end) -> new FakeCopy(this, name, source, sink, end);
    }

    @Override
    public void redirectStderr(int fd) {}

    @Override
    public void mkfifo(Path path, int mode) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void fchown(int fd, int uid, int gid) {
        chowns.add(new int[] {fd, uid, gid});
    }

    @Override
    public jrunc.core.spi.FileStat lstat(Path path) throws IOException {
        return jrunc.core.spi.JavaFiles.lstat(path);
    }

    @Override
    public byte[] readRegularFile(Path path, int maxBytes) throws IOException {
        return jrunc.core.spi.JavaFiles.readRegularFile(path, maxBytes);
    }

    @Override
    public int listenUnix(Path path) {
        throw new UnsupportedOperationException();
    }

    @Override
    public ServerSocketChannel inheritedListener(int fd) {
        throw new UnsupportedOperationException();
    }

    @Override
    public synchronized void mount(String source, Path target, String fsType, long flags, String data) throws IOException {
        if (source.equals(failMountOfSource)) throw new ErrnoException("mount", ErrnoException.EINVAL, source);
        mounts.add(new MountCall(source, target, fsType, flags, data));
        if (!source.isEmpty()) mounted.merge(target, 1, Integer::sum);
    }

    @Override
    public synchronized void unmount(Path target, int flags) throws IOException {
        Integer depth = mounted.get(target);
        if (depth == null) throw new ErrnoException("umount2", ErrnoException.EINVAL, target.toString());
        unmounts.add(target);
        if (depth == 1) mounted.remove(target);
        else mounted.put(target, depth - 1);
    }

    public synchronized int mountDepth(Path target) {
        return mounted.getOrDefault(target, 0);
    }

    @Override
    public String mountInfo() {
        return "";
    }

    @Override
    public int oomScoreAdj(int pid) {
        return 0;
    }

    @Override
    public void setOomScoreAdj(int pid, int score) {}

    @Override
    public void joinCgroup(int pid, String cgroupPath) {}

    @Override
    public void createSchedCoreCookie(int pgid) {}

    // --- terminals: a fake pty and console socket ----------------------------------------------------------
    /**
     * A pty as the fake runc makes it: two JDK pipes, one per direction. The master is one fd whose reads return
     * what the process wrote and whose writes reach the process; {@link #hangUp} is the process closing its side.
     */
    public static final class FakePty {
        final Pipe toProcess, fromProcess;
        public volatile int width, height;

        FakePty() throws IOException {
            toProcess = Pipe.open();
            fromProcess = Pipe.open();
        }

        public void processWrites(String text) throws IOException {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            while (b.hasRemaining()) fromProcess.sink().write(b);
        }

        /** What the process has read from its terminal: blocks for {@code n} bytes. */
        public String processReads(int n) throws IOException {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(n);
            while (b.hasRemaining() && toProcess.source().read(b) >= 0) {
                // keep reading
            }
            return new String(b.array(), 0, b.position(), java.nio.charset.StandardCharsets.UTF_8);
        }

        public void hangUp() throws IOException {
            fromProcess.sink().close();
        }
    }

    /** The master side of a {@link FakePty}. */
    private record MasterChannel(FakePty pty) implements java.nio.channels.ByteChannel {
        @Override
        public int read(java.nio.ByteBuffer dst) throws IOException {
            return pty.fromProcess.source().read(dst);
        }

        @Override
        public int write(java.nio.ByteBuffer src) throws IOException {
            return pty.toProcess.sink().write(src);
        }

        @Override
        public boolean isOpen() {
            return pty.fromProcess.source().isOpen();
        }

        @Override
        public void close() throws IOException {
            pty.toProcess.sink().close();
            pty.fromProcess.source().close();
        }
    }

    public record Resize(int fd, int width, int height) {}

    public final List<Resize> resizes = Collections.synchronizedList(new ArrayList<>());
    private final Map<Path, java.util.concurrent.CompletableFuture<Integer>> consoles = new java.util.concurrent.ConcurrentHashMap<>();

    /** A console socket: a real directory and file (so tests see it made and removed), and a future for the master. */
    @Override
    public jrunc.core.spi.ConsoleSocket openConsoleSocket(Path dir) throws IOException {
        Path socketDir = java.nio.file.Files.createTempDirectory(dir, "pty");
        Path socket = java.nio.file.Files.createFile(socketDir.resolve("pty.sock"));
        java.util.concurrent.CompletableFuture<Integer> master = consoles.computeIfAbsent(socket, p -> new java.util.concurrent.CompletableFuture<>());
        return new jrunc.core.spi.ConsoleSocket() {
            @Override
            public Path path() {
                return socket;
            }

            @Override
            public int receiveMaster(java.time.Duration limit) throws IOException {
                try {
                    return master.get(limit.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new IOException("console socket: no connection from runc within " + limit.toSeconds() + "s");
                } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
                    throw new IOException(e);
                }
            }

            @Override
            public void close() {
                try {
                    java.nio.file.Files.deleteIfExists(socket);
                    java.nio.file.Files.deleteIfExists(socketDir);
                } catch (IOException ignored) {
                    // a fake
                }
            }
        };
    }

    /** What runc does with --console-socket: makes a pty and sends its master to the socket. */
    public FakePty sendConsole(Path socket) throws IOException {
        FakePty pty = new FakePty();
        int fd;
        synchronized (this) {
            fd = nextFd++;
            fds.put(fd, new Description(new MasterChannel(pty)));
        }
        consoles.computeIfAbsent(socket, p -> new java.util.concurrent.CompletableFuture<>()).complete(fd);
        return pty;
    }

    @Override
    public synchronized void resizePty(int fd, int width, int height) throws IOException {
        Description d = fds.get(fd);
        if (d == null) throw new ErrnoException("ioctl", 9 /* EBADF */, "fd " + fd);
        if (!(d.channel instanceof MasterChannel master)) throw new ErrnoException("ioctl", 25 /* ENOTTY */, "fd " + fd);
        master.pty().width = width;
        master.pty().height = height;
        resizes.add(new Resize(fd, width, height));
    }

    @Override
    public synchronized int dup(int fd) throws IOException {
        Description d = fds.get(fd);
        if (d == null) throw new ErrnoException("fcntl", 9 /* EBADF */, "fd " + fd);
        d.refs++;
        int copy = nextFd++;
        fds.put(copy, d);
        return copy;
    }

    // --- cgroup metrics (Stats) ---------------------------------------------------------------------------------
    public record CgroupQuery(String cgroupsPath, int pid) {}

    public final List<CgroupQuery> cgroupQueries = Collections.synchronizedList(new ArrayList<>());
    /** What {@link #cgroupMetrics} answers; null: the cgroup is gone (NoSuchFileException). */
    public volatile com.google.protobuf.Message cgroupMetrics;

    @Override
    public com.google.protobuf.Message cgroupMetrics(String cgroupsPath, int pid) throws IOException {
        cgroupQueries.add(new CgroupQuery(cgroupsPath, pid));
        if (cgroupMetrics == null) throw new java.nio.file.NoSuchFileException(cgroupsPath);
        return cgroupMetrics;
    }

    /** OOM watches asked for; {@link #oom} fires them as the kernel would. */
    public final List<Runnable> oomWatchers = Collections.synchronizedList(new ArrayList<>());

    @Override
    public AutoCloseable watchOom(String cgroupsPath, int pid, Runnable onOom) {
        oomWatchers.add(onOom);
        return () -> oomWatchers.remove(onOom);
    }

    /** The kernel OOM-kills in every watched cgroup. */
    public void oom() {
        List<Runnable> watchers;
        synchronized (oomWatchers) {
            watchers = List.copyOf(oomWatchers);
        }
        watchers.forEach(Runnable::run);
    }

    @Override
    public AutoCloseable lockExclusive(Path path) {
        return () -> {};
    }
}
