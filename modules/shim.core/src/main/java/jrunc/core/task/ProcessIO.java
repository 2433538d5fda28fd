package jrunc.core.task;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Map;
import jrunc.core.spi.OperatingSystem;

/**
 * The shim's side of a container process's stdio. Mirrors {@code pkg/process/io.go} of containerd v1.6.20: pipes
 * whose container ends go to runc, and copiers between the other ends and the client's FIFOs, a file, or a logging
 * binary. Life: {@link #create} before runc runs, {@link #start} once runc has handed the container ends to the
 * process, {@link #closeStdin} on CloseIO and when the process exits, {@link #close} when the process is deleted.
 */
interface ProcessIO {
    /** containerd's limit for opening the client's FIFOs (and receiving a console). */
    Duration OPEN_LIMIT = Duration.ofSeconds(30);

    /** runc's fds 0–2 (child fd → our fd); a missing one is /dev/null. */
    Map<Integer, Integer> runcFds();

    /** runc has started the process: drop our copies of the container ends, open the client's side, copy. */
    void start() throws IOException;

    /** Releases the shim's hold on stdin, so the process sees EOF once the client closes its end. */
    void closeStdin();

    /** Stops copying (giving the copiers a moment to drain) and releases everything. Idempotent. */
    void close();

    /** What a process needs to set up its stdio: who owns the pipes, and who the logging binary logs for. */
    record Owner(int uid, int gid, String containerId, String namespace) {}

    /** Picks the mode from the stdout string's scheme, as containerd's {@code createIO} does. */
    static ProcessIO create(OperatingSystem os, Stdio stdio, Owner owner) throws TaskException {
        checkSupported(stdio);
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

    /** Refuses what jrunc cannot wire yet, before anything has been set up. */
    static void checkSupported(Stdio stdio) throws TaskException {
        if (stdio.terminal()) {
            // runc sends the pty master over a console socket as SCM_RIGHTS, which needs native support we lack
            throw TaskException.unimplemented("terminal (tty) processes are not supported by jrunc yet: "
                    + "the console socket needs SCM_RIGHTS; run without a terminal");
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
