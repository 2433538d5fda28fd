package jrunc.core.stdio;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.OperatingSystem.OpenFlags;

/**
 * Pipe stdio (containerd v1.6.20 pkg/process/io.go fifo and file modes): an OS pipe per stream in use, the
 * container's end owned by
 * io_uid/io_gid; copiers between our ends and the client's FIFOs, or one {@code file://} log for both outputs.
 * Mirrors {@code copyPipes} in containerd's {@code pkg/process/io.go} (v1.6.20).
 */
final class PipeIO implements ProcessIO {
    private static final System.Logger LOG = System.getLogger(PipeIO.class.getName());
    /** containerd waits this long for the copiers to drain before it deletes a process. */
    private static final Duration DRAIN_LIMIT = Duration.ofSeconds(2);

    private final OperatingSystem os;
    private final Path stdinPath, stdoutPath, stderrPath; // null: stream not used
    private final boolean fileMode;
    private final int[] in, out, err; // [read, write] or null
    private final List<Copier> copiers = new ArrayList<>();
    private final Object lock = new Object();
    private FileChannel stdinHold; // guarded by lock
    private FileChannel stdinSource; // guarded by lock: closed to cut the stdin copier off at close()
    private boolean started, closed, containerEndsClosed; // guarded by lock

    private PipeIO(OperatingSystem os, Path stdin, Path stdout, Path stderr, boolean fileMode, ProcessIO.Owner owner)
            throws IOException {
        this.os = os;
        this.stdinPath = stdin;
        this.stdoutPath = stdout;
        this.stderrPath = stderr;
        this.fileMode = fileMode;
        List<int[]> made = new ArrayList<>();
        try {
            in = stdin == null ? null : pipe(made);
            out = stdout == null ? null : pipe(made);
            err = stderr == null ? null : pipe(made);
            // the container reads stdin's read end and writes the others' write ends
            if (in != null) os.fchown(in[0], owner.uid(), owner.gid());
            if (out != null) os.fchown(out[1], owner.uid(), owner.gid());
            if (err != null) os.fchown(err[1], owner.uid(), owner.gid());
        } catch (IOException e) {
            for (int[] p : made) {
                os.close(p[0]);
                os.close(p[1]);
            }
            throw e;
        }
    }

    private int[] pipe(List<int[]> made) throws IOException {
        int[] p = os.pipe();
        made.add(p);
        return p;
    }

    static PipeIO forFifos(OperatingSystem os, Stdio stdio, ProcessIO.Owner owner) throws IOException {
        return new PipeIO(os, pathOrNull(stdio.stdin()), pathOrNull(stdio.stdout()), pathOrNull(stdio.stderr()), false, owner);
    }

    /** {@code file:///abs/path}: stdout and stderr both appended to that file, created 0644 with its parents. */
    static PipeIO forFile(OperatingSystem os, Stdio stdio, ProcessIO.Owner owner, URI uri) throws IOException {
        Path file = Path.of(uri.getPath());
        if (file.getParent() != null) Files.createDirectories(file.getParent());
        if (!Files.exists(file)) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        }
        return new PipeIO(os, pathOrNull(stdio.stdin()), file, stdio.stderr().isEmpty() ? null : file, true, owner);
    }

    private static Path pathOrNull(String s) {
        return s.isEmpty() ? null : Path.of(s);
    }

    @Override
    public Map<Integer, Integer> runcFds() {
        Map<Integer, Integer> fds = new HashMap<>();
        if (in != null) fds.put(0, in[0]);
        if (out != null) fds.put(1, out[1]);
        if (err != null) fds.put(2, err[1]);
        return fds;
    }

    @Override
    public void start() throws IOException {
        SharedSink shared;
        synchronized (lock) {
            if (started || closed) throw new IllegalStateException("stdio already started or closed");
            // the process holds the container ends now; ours would keep its output pipes from ever reaching EOF
            closeContainerEnds();
            if (stdinPath != null) {
                // O_RDWR (READ+WRITE) opens a FIFO at once and counts as a writer: the process sees no EOF on stdin
                // until CloseIO drops this hold, even if the client closes and reopens its end (containerd's openStdin)
                stdinHold = FileChannel.open(stdinPath, READ, WRITE);
                stdinSource = FileChannel.open(stdinPath, READ); // cannot block: the hold is a writer
            }
            shared = sharedSink();
            // from here on each copier owns its ends
            started = true;
        }
        Map<Copier, Path> pending = new HashMap<>();
        if (in != null) {
            FileChannel source = stdinSource;
            pending.put(Copier.start("stdin", () -> Channels.newInputStream(source), () -> os.outputStream(in[1])), stdinPath);
        }
        OutputStream sharedOut = shared == null ? null : shared.acquire();
        OutputStream sharedErr = shared == null || err == null ? null : shared.acquire();
        if (out != null) {
            pending.put(Copier.start("stdout", () -> os.inputStream(out[0]),
                    () -> sharedOut != null ? sharedOut : openWriter(stdoutPath)), stdoutPath);
        }
        if (err != null) {
            pending.put(Copier.start("stderr", () -> os.inputStream(err[0]),
                    () -> sharedErr != null ? sharedErr : openWriter(stderrPath)), stderrPath);
        }
        synchronized (lock) {
            copiers.addAll(pending.keySet());
        }
        long deadline = System.nanoTime() + OPEN_LIMIT.toNanos();
        for (Map.Entry<Copier, Path> e : pending.entrySet()) {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            try {
                e.getKey().awaitOpened(left, () -> unblockWriterOpen(os, e.getValue()));
            } catch (IOException failure) {
                throw new IOException("failed to open " + e.getValue() + ": " + failure.getMessage(), failure);
            }
        }
    }

    /** One writer for both outputs: the {@code file://} log, or a regular file named for both (containerd's
     * sameFile). */
    private SharedSink sharedSink() throws IOException {
        boolean same = out != null && err != null && stdoutPath.equals(stderrPath) && !isFifo(stdoutPath);
        if (!fileMode && !same) return null;
        return new SharedSink(Channels.newOutputStream(FileChannel.open(stdoutPath, WRITE, APPEND, CREATE)));
    }

    /**
     * The client's end of an output stream. A FIFO is opened for writing (blocks until the client reads) and then
     * also for reading, a read end we never read: it keeps the FIFO open, so our writes do not fail with EPIPE when
     * the client goes away and comes back. A regular file is appended to.
     */
    static OutputStream openWriter(Path path) throws IOException {
        if (!isFifo(path)) return Channels.newOutputStream(FileChannel.open(path, WRITE, APPEND));
        FileChannel writer = FileChannel.open(path, WRITE);
        FileChannel keepAlive;
        try {
            keepAlive = FileChannel.open(path, READ);
        } catch (IOException e) {
            writer.close();
            throw e;
        }
        return new OutputStream() {
            private final OutputStream target = Channels.newOutputStream(writer);

            @Override
            public void write(int b) throws IOException {
                target.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                target.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                try (keepAlive) {
                    target.close();
                }
            }
        };
    }

    /** A FIFO (or another special file) rather than a regular file. */
    private static boolean isFifo(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).isOther();
        } catch (IOException e) {
            return false;
        }
    }

    /** A writer blocked opening a FIFO whose client never came: open the read side ourselves to release it. */
    static void unblockWriterOpen(OperatingSystem os, Path fifo) {
        try {
            int fd = os.open(fifo, OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK | OpenFlags.O_CLOEXEC, 0);
            os.close(fd);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "unblock open of " + fifo, e);
        }
    }

    @Override
    public void closeStdin() {
        synchronized (lock) {
            closeQuietly(stdinHold);
            stdinHold = null;
        }
    }

    @Override
    public void close() {
        List<Copier> running;
        synchronized (lock) {
            if (closed) return;
            closed = true;
            closeQuietly(stdinHold);
            stdinHold = null;
            // FileChannel.close wakes a thread blocked reading it: the stdin copier ends even if the client holds on
            closeQuietly(stdinSource);
            if (!started) {
                closeContainerEnds();
                closeOurEnds();
            }
            running = List.copyOf(copiers);
        }
        long deadline = System.nanoTime() + DRAIN_LIMIT.toNanos();
        for (Copier c : running) {
            if (!c.awaitFinished(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                // a process that left a child holding its stdout keeps the pipe open; the copier ends with it
                LOG.log(System.Logger.Level.DEBUG, "stdio copier still running after " + DRAIN_LIMIT.toSeconds() + "s; leaving it to finish");
            }
        }
    }

    private void closeContainerEnds() {
        if (containerEndsClosed) return;
        containerEndsClosed = true;
        if (in != null) os.close(in[0]);
        if (out != null) os.close(out[1]);
        if (err != null) os.close(err[1]);
    }

    /** Only when the copiers never started: once started, each copier owns and closes its ends. */
    private void closeOurEnds() {
        if (in != null) os.close(in[1]);
        if (out != null) os.close(out[0]);
        if (err != null) os.close(err[0]);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is all we wanted
        }
    }
}
