package jrunc.core.stdio;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jrunc.core.spi.OperatingSystem;

/**
 * Pipe stdio (containerd v1.6.20 pkg/process/io.go, fifo and file modes, {@code copyPipes}): an OS pipe per stream
 * in use, the container's end owned by io_uid/io_gid, and a copier between our end and the client's FIFO, or one
 * {@code file://} log for both outputs. The client's side is opened when this is made, before runc runs: a client
 * that has gone away by then fails the Create before anything exists, and one that goes away later loses nothing.
 */
final class PipeIO implements ProcessIO {
    private static final System.Logger LOG = System.getLogger(PipeIO.class.getName());

    private final OperatingSystem os;
    private final int[] in, out, err; // [read, write] or null: stream not used
    private final Object lock = new Object();
    private final List<Copier> copiers = new ArrayList<>(); // guarded by lock
    // the client's side, guarded by lock; each is handed to a copier at start
    private ClientEnds.Stdin stdin;
    private OutputStream stdoutSink, stderrSink;
    private boolean started, closed, containerEndsClosed; // guarded by lock

    private PipeIO(OperatingSystem os, Path stdinPath, Path stdoutPath, Path stderrPath, boolean oneLog,
                   ProcessIO.Owner owner) throws IOException {
        this.os = os;
        List<int[]> made = new ArrayList<>();
        try {
            in = stdinPath == null ? null : pipe(made);
            out = stdoutPath == null ? null : pipe(made);
            err = stderrPath == null ? null : pipe(made);
            // the container reads stdin's read end and writes the others' write ends
            if (in != null) os.fchown(in[0], owner.uid(), owner.gid());
            if (out != null) os.fchown(out[1], owner.uid(), owner.gid());
            if (err != null) os.fchown(err[1], owner.uid(), owner.gid());
            if (stdinPath != null) stdin = ClientEnds.openStdin(stdinPath);
            openOutputs(stdoutPath, stderrPath, oneLog);
        } catch (IOException e) {
            closeClientEnds();
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

    /** One writer for both outputs: the {@code file://} log, or a regular file named for both (containerd's sameFile). */
    private void openOutputs(Path stdoutPath, Path stderrPath, boolean oneLog) throws IOException {
        boolean same = stdoutPath != null && stdoutPath.equals(stderrPath) && !ClientEnds.isFifo(stdoutPath);
        if (oneLog || same) {
            SharedSink shared = new SharedSink(Channels.newOutputStream(FileChannel.open(stdoutPath, WRITE, APPEND, CREATE)));
            stdoutSink = shared.acquire();
            if (stderrPath != null) stderrSink = shared.acquire();
            return;
        }
        if (stdoutPath != null) stdoutSink = ClientEnds.openWriter(os, stdoutPath);
        if (stderrPath != null) stderrSink = ClientEnds.openWriter(os, stderrPath);
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

    /** From here on each copier owns its two ends. */
    @Override
    public void start() {
        synchronized (lock) {
            if (started || closed) throw new IllegalStateException("stdio already started or closed");
            started = true;
            // the process holds the container ends now; ours would keep its output pipes from ever reaching EOF
            closeContainerEnds();
            if (in != null) {
                FileChannel source = stdin.source();
                copiers.add(Copier.start("stdin", Channels.newInputStream(source), os.outputStream(in[1])));
            }
            if (out != null) copiers.add(Copier.start("stdout", os.inputStream(out[0]), stdoutSink));
            if (err != null) copiers.add(Copier.start("stderr", os.inputStream(err[0]), stderrSink));
        }
    }

    @Override
    public void closeStdin() {
        synchronized (lock) {
            if (stdin != null) ClientEnds.closeQuietly(stdin.hold());
        }
    }

    @Override
    public void close() {
        List<Copier> running;
        synchronized (lock) {
            if (closed) return;
            closed = true;
            if (stdin != null) {
                ClientEnds.closeQuietly(stdin.hold());
                // FileChannel.close wakes a thread blocked reading it: the stdin copier ends even if the client holds on
                ClientEnds.closeQuietly(stdin.source());
            }
            if (!started) {
                closeContainerEnds();
                closeOurEnds();
                closeClientEnds();
            }
            running = List.copyOf(copiers);
        }
        long deadline = System.nanoTime() + DRAIN_LIMIT.toNanos();
        for (Copier c : running) {
            if (!c.awaitFinished(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                // a process that left a child holding its stdout keeps the pipe open; the copier ends with it
                LOG.log(System.Logger.Level.DEBUG, "stdio copier still running after " + DRAIN_LIMIT.toSeconds()
                        + "s; leaving it to finish");
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

    private void closeClientEnds() {
        if (stdin != null) {
            ClientEnds.closeQuietly(stdin.hold());
            ClientEnds.closeQuietly(stdin.source());
        }
        ClientEnds.closeQuietly(stdoutSink);
        ClientEnds.closeQuietly(stderrSink);
    }
}
