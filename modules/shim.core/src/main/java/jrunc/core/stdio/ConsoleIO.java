package jrunc.core.stdio;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import jrunc.core.spi.ConsoleSocket;
import jrunc.core.spi.OperatingSystem;

/**
 * Terminal stdio (containerd v1.6.20 pkg/process/io.go): runc makes a pty for the process and sends us its master
 * over a console
 * socket; we copy the client's stdin FIFO into the master and the master into the stdout FIFO (a pty has one output,
 * so stderr is unused). Mirrors {@code NewTempConsoleSocket} (go-runc) and {@code CopyConsole}
 * ({@code runtime/v2/runc/platform.go}, containerd v1.6.20), with blocking copiers on platform threads in place of
 * Go's epoll.
 *
 * <p>The master fd itself stays ours for ResizePty; each copier works on a dup of it and closes that dup when done.
 * Reading the master fails with EIO once every holder of the pty's slave side has closed it, that is when the process
 * (and whatever it left holding the terminal) has exited: that ends the output copier, which closes the client's
 * stdout, so the client sees EOF without waiting for Delete.
 */
final class ConsoleIO implements ProcessIO {
    private static final System.Logger LOG = System.getLogger(ConsoleIO.class.getName());
    /** containerd waits this long for the copiers to drain before it deletes a process. */
    private static final Duration DRAIN_LIMIT = Duration.ofSeconds(2);

    private final OperatingSystem os;
    private final ConsoleSocket socket;
    private final Path stdinPath, stdoutPath; // null: stream not used
    private final Object lock = new Object();
    private final List<Copier> copiers = new ArrayList<>(); // guarded by lock
    private int master = -1; // guarded by lock
    private FileChannel stdinHold, stdinSource; // guarded by lock
    private boolean started, closed; // guarded by lock

    private ConsoleIO(OperatingSystem os, ConsoleSocket socket, Path stdin, Path stdout) {
        this.os = os;
        this.socket = socket;
        this.stdinPath = stdin;
        this.stdoutPath = stdout;
    }

    /** Listens on a fresh console socket in {@code socketDir} ($XDG_RUNTIME_DIR or the temp dir, as go-runc). */
    static ConsoleIO open(OperatingSystem os, Stdio stdio, Path socketDir) throws IOException {
        return new ConsoleIO(os, os.openConsoleSocket(socketDir), pathOrNull(stdio.stdin()), pathOrNull(stdio.stdout()));
    }

    private static Path pathOrNull(String s) {
        return s.isEmpty() ? null : Path.of(s);
    }

    /** runc's own stdio is /dev/null: the process's stdio is the pty runc makes. */
    @Override
    public Map<Integer, Integer> runcFds() {
        return Map.of();
    }

    @Override
    public Optional<Path> consoleSocket() {
        return Optional.of(socket.path());
    }

    /** Receives the master (runc has sent it by the time create/exec returns, but the limit guards a broken runc). */
    @Override
    public void start() throws IOException {
        int received;
        try {
            received = socket.receiveMaster(OPEN_LIMIT);
        } finally {
            socket.close(); // one connection only; the directory goes with it
        }
        FileChannel source;
        synchronized (lock) {
            if (started || closed) {
                os.close(received);
                throw new IllegalStateException("console already started or closed");
            }
            master = received;
            started = true;
            if (stdinPath != null) {
                // as PipeIO: the O_RDWR hold keeps EOF away until CloseIO, and lets the read-only open return at once
                stdinHold = FileChannel.open(stdinPath, READ, WRITE);
                stdinSource = FileChannel.open(stdinPath, READ);
            }
            source = stdinSource;
        }
        if (source != null) {
            int toMaster = os.dup(received);
            add(Copier.start("console-stdin", () -> Channels.newInputStream(source), () -> os.outputStream(toMaster)));
        }
        if (stdoutPath != null) {
            int fromMaster = os.dup(received);
            Copier out = Copier.start("console-stdout", () -> os.inputStream(fromMaster), () -> PipeIO.openWriter(stdoutPath));
            add(out);
            try {
                out.awaitOpened(OPEN_LIMIT, () -> PipeIO.unblockWriterOpen(os, stdoutPath));
            } catch (IOException e) {
                throw new IOException("failed to open " + stdoutPath + ": " + e.getMessage(), e);
            }
        }
    }

    private void add(Copier copier) {
        synchronized (lock) {
            copiers.add(copier);
        }
    }

    /** TIOCSWINSZ on the master; nothing before runc has sent it or after the console is closed. */
    @Override
    public void resize(int width, int height) throws IOException {
        synchronized (lock) {
            if (master < 0 || closed) return;
            os.resizePty(master, width, height);
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
        int toClose;
        synchronized (lock) {
            if (closed) return;
            closed = true;
            closeQuietly(stdinHold);
            stdinHold = null;
            closeQuietly(stdinSource); // wakes the stdin copier, which then closes its dup of the master
            running = List.copyOf(copiers);
            toClose = master;
            master = -1;
        }
        socket.close();
        long deadline = System.nanoTime() + DRAIN_LIMIT.toNanos();
        for (Copier c : running) {
            if (!c.awaitFinished(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                // something the process left behind still holds the terminal; the copier ends when it lets go
                LOG.log(System.Logger.Level.DEBUG, "console copier still running after " + DRAIN_LIMIT.toSeconds() + "s; leaving it to finish");
            }
        }
        if (toClose >= 0) os.close(toClose);
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
