package jrunc.core.stdio;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.task.TaskException;

/**
 * The shim's side of a container process's stdio. Mirrors {@code pkg/process/io.go} of containerd v1.6.20: pipes
 * whose container ends go to runc, and copiers between the other ends and the client's FIFOs, a file, or a logging
 * binary. Life: {@link #create} before runc runs, {@link #start} once runc has handed the container ends to the
 * process, {@link #closeStdin} on CloseIO and when the process exits, {@link #close} when the process is deleted.
 */
public interface ProcessIO {
    /** containerd's limit for opening the client's FIFOs (and receiving a console). */
    Duration OPEN_LIMIT = Duration.ofSeconds(30);

    /** runc's fds 0–2 (child fd → our fd); a missing one is /dev/null. */
    Map<Integer, Integer> runcFds();

    /** runc has started the process: drop our copies of the container ends, open the client's side, copy. */
    void start() throws IOException;

    /** The console socket to give runc ({@code --console-socket}); empty unless the process has a terminal. */
    default Optional<Path> consoleSocket() {
        return Optional.empty();
    }

    /** ResizePty: sets the terminal's window size; does nothing for a process without a terminal (as containerd). */
    default void resize(int width, int height) throws IOException {}

    /** Releases the shim's hold on stdin, so the process sees EOF once the client closes its end. */
    void closeStdin();

    /** Stops copying (giving the copiers a moment to drain) and releases everything. Idempotent. */
    void close();

    /** What a process needs to set up its stdio: who owns the pipes, and who the logging binary logs for. */
    record Owner(int uid, int gid, String containerId, String namespace) {}

    /**
     * A console for a terminal process (its socket made in {@code consoleDir}); otherwise the mode picked from the
     * stdout string's scheme, as containerd's {@code createIO} does.
     */
    static ProcessIO create(OperatingSystem os, Stdio stdio, Owner owner, Path consoleDir) throws TaskException {
        if (stdio.terminal()) {
            try {
                return ConsoleIO.open(os, stdio, consoleDir);
            } catch (IOException e) {
                throw TaskException.unknown("failed to create OCI runtime console socket: " + e.getMessage(), e);
            }
        }
        if (stdio.isNull()) return NullIO.INSTANCE;
        URI uri;
        try {
            uri = new URI(stdio.stdout());
        } catch (URISyntaxException e) {
            uri = null; // not a URI at all: a FIFO path with characters a URI may not hold
        }
        String scheme = uri == null || uri.getScheme() == null ? "fifo" : uri.getScheme();
        try {
            return switch (scheme) {
                case "fifo" -> PipeIO.forFifos(os, stdio, owner);
                case "file" -> PipeIO.forFile(os, stdio, owner, uri);
                case "binary" -> BinaryIO.start(os, owner, uri);
                default -> throw TaskException.unknown("unknown STDIO scheme " + scheme, null);
            };
        } catch (IOException e) {
            throw TaskException.unknown("failed to create stdio: " + e.getMessage(), e);
        }
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
