package jrunc.core.stdio;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import jrunc.core.spi.OperatingSystem;

/**
 * The shim's side of a container process's stdio: the seam between the Task service and how bytes are moved.
 * Mirrors {@code pkg/process/io.go} of containerd v1.6.20: pipes whose container ends go to runc, and copiers
 * between the other ends and the client's FIFOs, a file, or a logging binary; or a pty runc makes. Life:
 * {@link #create} before runc runs (the client's side is opened then), {@link #start} once runc has handed the
 * container ends to the process, {@link #closeStdin} on CloseIO and when the process exits, {@link #close} when the
 * process is deleted.
 */
public interface ProcessIO {
    /** containerd waits this long for the copiers to drain before it deletes a process. */
    Duration DRAIN_LIMIT = Duration.ofSeconds(2);

    /** runc's fds 0–2 (child fd → our fd); a missing one is /dev/null. */
    Map<Integer, Integer> runcFds();

    /** runc has made the process: drop our copies of the container ends and copy. */
    void start() throws IOException;

    /** The console socket to give runc ({@code --console-socket}); empty unless the process has a terminal. */
    default Optional<Path> consoleSocket() {
        return Optional.empty();
    }

    /**
     * ResizePty: sets the terminal's window size, at once or as soon as runc has sent the terminal; does nothing for
     * a process without a terminal (as containerd).
     */
    default void resize(WindowSize size) throws IOException {}

    /** Releases the shim's hold on stdin, so the process sees EOF once the client closes its end. */
    void closeStdin();

    /** Stops copying (giving the copiers a moment to drain) and releases everything. Idempotent. */
    void close();

    /** What a process needs to set up its stdio: who owns the pipes, and who the logging binary logs for. */
    record Owner(int uid, int gid, String containerId, String namespace) {}

    /**
     * A console for a terminal process (its socket made in {@code consoleDir}); otherwise the mode picked from the
     * stdout string's scheme, as containerd's {@code createIO} does.
     *
     * @throws IOException naming the file or socket that could not be opened
     */
    static ProcessIO create(OperatingSystem os, Stdio stdio, Owner owner, Path consoleDir) throws IOException {
        if (stdio.terminal()) return ConsoleIO.open(os, stdio, consoleDir);
        if (stdio.isNull()) return NullIO.INSTANCE;
        URI uri;
        try {
            uri = new URI(stdio.stdout());
        } catch (URISyntaxException e) {
            uri = null; // not a URI at all: a FIFO path with characters a URI may not hold
        }
        String scheme = uri == null || uri.getScheme() == null ? "fifo" : uri.getScheme();
        return switch (scheme) {
            case "fifo" -> PipeIO.forFifos(os, stdio, owner);
            case "file" -> PipeIO.forFile(os, stdio, owner, uri);
            case "binary" -> BinaryIO.start(os, owner, uri);
            default -> throw new IOException("unknown STDIO scheme " + scheme);
        };
    }

    /** No stdio: runc and the process get /dev/null. */
    enum NullIO implements ProcessIO {
        INSTANCE;

        public Map<Integer, Integer> runcFds() { return Map.of(); }
        public void start() {}
        public void closeStdin() {}
        public void close() {}
    }
}
