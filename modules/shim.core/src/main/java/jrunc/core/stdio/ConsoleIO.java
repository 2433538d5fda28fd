package jrunc.core.stdio;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
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
 * over a console socket; we copy the client's stdin FIFO into the master and the master into the stdout FIFO (a
 * pty has one output, so stderr is unused). Mirrors {@code NewTempConsoleSocket} (go-runc) and {@code CopyConsole}
 * ({@code runtime/v2/runc/platform.go}, containerd v1.6.20), with blocking copiers on platform threads in place of
 * Go's epoll.
 *
 * <p>The master fd itself stays ours for ResizePty; each copier works on a dup of it and closes that dup when done.
 * A window size asked for before the master has arrived is kept and set on it as soon as it does, before the
 * copiers start (containerd drops it). Reading the master fails with EIO once every holder of the pty's slave side
 * has closed it, that is when the process (and whatever it left holding the terminal) has exited: that ends the
 * output copier, which closes the client's stdout, so the client sees EOF without waiting for Delete.
 */
final class ConsoleIO implements ProcessIO {
    private static final System.Logger LOG = System.getLogger(ConsoleIO.class.getName());
    /** How long runc may take to send the master once create or exec has returned (containerd's 30 s). */
    private static final Duration MASTER_LIMIT = Duration.ofSeconds(30);

    private final OperatingSystem os;
    private final ConsoleSocket socket;
    private final Object lock = new Object();
    private final List<Copier> copiers = new ArrayList<>(); // guarded by lock
    private final ClientEnds.Stdin stdin; // null: not used
    private OutputStream stdout; // guarded by lock; null: not used, or handed to its copier
    private int master = -1; // guarded by lock
    private WindowSize size; // guarded by lock: the last size asked for
    private boolean started, closed; // guarded by lock

    private ConsoleIO(OperatingSystem os, ConsoleSocket socket, ClientEnds.Stdin stdin, OutputStream stdout) {
        this.os = os;
        this.socket = socket;
        this.stdin = stdin;
        this.stdout = stdout;
    }

    /**
     * Listens on a fresh console socket in {@code socketDir} ($XDG_RUNTIME_DIR or the temp dir, as go-runc) and opens
     * the client's FIFOs (at once: see {@link ClientEnds}).
     */
    static ConsoleIO open(OperatingSystem os, Stdio stdio, Path socketDir) throws IOException {
        ClientEnds.Stdin in = null;
        OutputStream out = null;
        try {
            if (!stdio.stdin().isEmpty()) in = ClientEnds.openStdin(Path.of(stdio.stdin()));
            if (!stdio.stdout().isEmpty()) out = ClientEnds.openWriter(os, Path.of(stdio.stdout()));
            ConsoleSocket socket;
            try {
                socket = os.openConsoleSocket(socketDir);
            } catch (IOException e) {
                throw new IOException("failed to create OCI runtime console socket in " + socketDir + ": " + e.getMessage(), e);
            }
            return new ConsoleIO(os, socket, in, out);
        } catch (IOException | RuntimeException e) {
            if (in != null) {
                ClientEnds.closeQuietly(in.hold());
                ClientEnds.closeQuietly(in.source());
            }
            ClientEnds.closeQuietly(out);
            throw e;
        }
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
            received = socket.receiveMaster(MASTER_LIMIT);
        } catch (IOException e) {
            throw new IOException("failed to retrieve console master: " + e.getMessage(), e);
        } finally {
            socket.close(); // one connection only; the directory goes with it
        }
        synchronized (lock) {
            if (started || closed) {
                os.close(received);
                throw new IllegalStateException("console already started or closed");
            }
            master = received;
            started = true;
            if (size != null) applySize(size);
            if (stdin != null) {
                int toMaster = os.dup(received);
                copiers.add(Copier.start("console-stdin", Channels.newInputStream(stdin.source()), os.outputStream(toMaster)));
            }
            if (stdout != null) {
                int fromMaster = os.dup(received);
                copiers.add(Copier.start("console-stdout", os.inputStream(fromMaster), stdout));
                stdout = null;
            }
        }
    }

    /** TIOCSWINSZ on the master, or kept until it arrives; nothing once the console is closed. */
    @Override
    public void resize(WindowSize requested) throws IOException {
        synchronized (lock) {
            if (closed) return;
            size = requested;
            if (master >= 0) applySize(requested);
        }
    }

    private void applySize(WindowSize s) throws IOException {
        os.resizePty(master, s.width(), s.height());
    }

    @Override
    public void closeStdin() {
        if (stdin != null) ClientEnds.closeQuietly(stdin.hold());
    }

    @Override
    public void close() {
        List<Copier> running;
        int toClose;
        synchronized (lock) {
            if (closed) return;
            closed = true;
            if (stdin != null) {
                ClientEnds.closeQuietly(stdin.hold());
                ClientEnds.closeQuietly(stdin.source()); // wakes the stdin copier, which then closes its dup of the master
            }
            ClientEnds.closeQuietly(stdout); // not started: nobody else will close it
            stdout = null;
            running = List.copyOf(copiers);
            toClose = master;
            master = -1;
        }
        socket.close();
        long deadline = System.nanoTime() + DRAIN_LIMIT.toNanos();
        for (Copier c : running) {
            if (!c.awaitFinished(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                // something the process left behind still holds the terminal; the copier ends when it lets go
                LOG.log(System.Logger.Level.DEBUG, "console copier still running after " + DRAIN_LIMIT.toSeconds()
                        + "s; leaving it to finish");
            }
        }
        if (toClose >= 0) os.close(toClose);
    }
}
