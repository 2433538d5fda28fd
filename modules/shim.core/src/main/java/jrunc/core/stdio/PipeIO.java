package jrunc.core.stdio;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.OperatingSystem.OpenFlags;
import jrunc.core.spi.StreamCopier;

/**
 * Pipe stdio (containerd v1.6.20 pkg/process/io.go, fifo and file modes, {@code copyPipes}): an OS pipe per stream
 * in use, the container's end owned by io_uid/io_gid, and a copy ({@link StreamCopier}) between our end and the
 * client's FIFO, or one {@code file://} log for both outputs. The client's side is opened when this is made, before runc runs: a client
 * that has gone away by then fails the Create before anything exists, and one that goes away later loses nothing.
 */
final class PipeIO implements ProcessIO {
    private final OperatingSystem os;
    private final int[] in, out, err; // [read, write] or null: stream not used
    private final Object lock = new Object();
    private final List<StreamCopier.Copy> copies = new ArrayList<>(); // guarded by lock
    private StreamCopier.Copy stdinCopy; // guarded by lock
    // the client's side, guarded by lock; each is handed to a copy at start
    private ClientEnds.Stdin stdin;
    private ClientEnds.Output stdoutSink, stderrSink;
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
            if (stdinPath != null) stdin = ClientEnds.openStdin(os, stdinPath);
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

    /**
     * One open file for both outputs: the {@code file://} log, or a regular file named for both (containerd's
     * sameFile). Each copy writes its own duplicate of the descriptor; every write appends whole.
     */
    private void openOutputs(Path stdoutPath, Path stderrPath, boolean oneLog) throws IOException {
        boolean same = stdoutPath != null && stdoutPath.equals(stderrPath) && !ClientEnds.isFifo(stdoutPath);
        if (oneLog || same) {
            int log = os.open(stdoutPath, OpenFlags.O_WRONLY | OpenFlags.O_APPEND | OpenFlags.O_CREAT, 0666);
            stdoutSink = new ClientEnds.Output(log, StreamCopier.SinkEnd.AT_ONCE);
            if (stderrPath != null) stderrSink = new ClientEnds.Output(os.dup(log), StreamCopier.SinkEnd.AT_ONCE);
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

    /** From here on each copy owns its two ends. */
    @Override
    public void start() {
        synchronized (lock) {
            if (started || closed) throw new IllegalStateException("stdio already started or closed");
            started = true;
            // the process holds the container ends now; ours would keep its output pipes from ever reaching EOF
            closeContainerEnds();
            StreamCopier copier = os.streamCopier();
            if (in != null) {
                stdinCopy = copier.copy("stdin", stdin.source(), in[1], StreamCopier.SinkEnd.AT_ONCE);
            }
            if (out != null) copies.add(copier.copy("stdout", out[0], stdoutSink.fd(), stdoutSink.end()));
            if (err != null) copies.add(copier.copy("stderr", err[0], stderrSink.fd(), stderrSink.end()));
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
        List<StreamCopier.Copy> running;
        synchronized (lock) {
            if (closed) return;
            closed = true;
            if (stdin != null) ClientEnds.closeQuietly(stdin.hold());
            // the process is gone: nothing more of its stdin is wanted, even if the client holds on
            if (stdinCopy != null) stdinCopy.cancel();
            if (!started) {
                closeContainerEnds();
                closeOurEnds();
                closeClientEnds();
            }
            running = List.copyOf(copies);
        }
        Copies.drain(running);
    }

    private void closeContainerEnds() {
        if (containerEndsClosed) return;
        containerEndsClosed = true;
        if (in != null) os.close(in[0]);
        if (out != null) os.close(out[1]);
        if (err != null) os.close(err[1]);
    }

    /** Only when the copies never started: once started, each copy owns and closes its ends. */
    private void closeOurEnds() {
        if (in != null) os.close(in[1]);
        if (out != null) os.close(out[0]);
        if (err != null) os.close(err[0]);
    }

    private void closeClientEnds() {
        ClientEnds.closeStdin(os, stdin);
        if (stdoutSink != null) stdoutSink.close(os);
        if (stderrSink != null) stderrSink.close(os);
    }
}
