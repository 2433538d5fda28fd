package jrunc.core.stdio;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import jrunc.core.spi.ConsoleSocket;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.StreamCopier;

/**
 * Terminal stdio (containerd v1.6.20 pkg/process/io.go): runc makes a pty for the process and sends us its master
 * over a console socket; we copy the client's stdin FIFO into the master and the master into the stdout FIFO (a
 * pty has one output, so stderr is unused). Mirrors {@code NewTempConsoleSocket} (go-runc) and {@code CopyConsole}
 * ({@code runtime/v2/runc/platform.go}, containerd v1.6.20), on the process's {@link StreamCopier} loop as Go's
 * epoll console.
 *
 * <p>The master fd itself stays ours for ResizePty; each copy works on a dup of it and closes that dup when done.
 * A window size asked for before the master has arrived is kept and set on it as soon as it does, before the
 * copies start (containerd drops it). Reading the master fails with EIO once every holder of the pty's slave side
 * has closed it, that is when the process (and whatever it left holding the terminal) has exited: that ends the
 * output copy, which closes the client's stdout once the client has read it, so the client sees EOF without
 * waiting for Delete.
 */
final class ConsoleIO implements ProcessIO {
    /** How long runc may take to send the master once create or exec has returned (containerd's 30 s). */
    private static final Duration MASTER_LIMIT = Duration.ofSeconds(30);

    private final OperatingSystem os;
    private final ConsoleSocket socket;
    private final Object lock = new Object();
    private final List<StreamCopier.Copy> copies = new ArrayList<>(); // guarded by lock
    private StreamCopier.Copy stdinCopy; // guarded by lock
    private final ClientEnds.Stdin stdin; // null: not used; its source is the stdin copy's once started
    private ClientEnds.Output stdout; // guarded by lock; null: not used, or handed to its copy
    private int master = -1; // guarded by lock
    private WindowSize size; // guarded by lock: the last size asked for
    private boolean started, closed; // guarded by lock

    private ConsoleIO(OperatingSystem os, ConsoleSocket socket, ClientEnds.Stdin stdin, ClientEnds.Output stdout) {
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
        ClientEnds.Output out = null;
        try {
            if (!stdio.stdin().isEmpty()) in = ClientEnds.openStdin(os, Path.of(stdio.stdin()));
            if (!stdio.stdout().isEmpty()) out = ClientEnds.openWriter(os, Path.of(stdio.stdout()));
            ConsoleSocket socket;
            try {
                socket = os.openConsoleSocket(socketDir);
            } catch (IOException e) {
                throw new IOException("failed to create OCI runtime console socket in " + socketDir + ": " + e.getMessage(), e);
            }
            return new ConsoleIO(os, socket, in, out);
        } catch (IOException | RuntimeException e) {
            ClientEnds.closeStdin(os, in);
            if (out != null) out.close(os);
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
            StreamCopier copier = os.streamCopier();
            if (stdin != null) {
                stdinCopy = copier.copy("console-stdin", stdin.source(), os.dup(received), StreamCopier.SinkEnd.AT_ONCE);
            }
            if (stdout != null) {
                copies.add(copier.copy("console-stdout", os.dup(received), stdout.fd(), stdout.end()));
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
        synchronized (lock) {
            if (stdin != null) ClientEnds.closeQuietly(stdin.hold());
        }
    }

    @Override
    public void close() {
        List<StreamCopier.Copy> running;
        int toClose;
        synchronized (lock) {
            if (closed) return;
            closed = true;
            if (stdinCopy != null) {
                ClientEnds.closeQuietly(stdin.hold());
                stdinCopy.cancel(); // closes its dup of the master
            } else {
                ClientEnds.closeStdin(os, stdin); // not started: nobody else will close it
            }
            if (stdout != null) stdout.close(os); // not started, likewise
            stdout = null;
            running = List.copyOf(copies);
            toClose = master;
            master = -1;
        }
        socket.close();
        // something the process left behind may still hold the terminal: its copy is stopped after the limit
        Copies.drain(running);
        if (toClose >= 0) os.close(toClose);
    }
}
