package jrunc.core.stdio;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import jrunc.core.spi.BlockingReads;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.Reaper;
import jrunc.core.spi.Signals;
import jrunc.core.spi.Spawn;

/**
 * {@code binary:///path?k=v}: a logging binary reads the process's output (containerd's {@code NewBinaryIO},
 * {@code pkg/process/io.go}, v1.6.20). It is started before runc, with the query pairs as arguments, env
 * {@code CONTAINER_ID}/{@code CONTAINER_NAMESPACE}, fd 3 = stdout's read end, fd 4 = stderr's read end, fd 5 = a
 * "ready" pipe it writes to or closes when it is ready. runc gets the write ends. No stdin in this mode.
 */
final class BinaryIO implements ProcessIO {
    private static final System.Logger LOG = System.getLogger(BinaryIO.class.getName());
    /** containerd gives the logger this long to flush after SIGTERM. */
    private static final long TERM_GRACE_SECONDS = 12;

    private final OperatingSystem os;
    private final int[] out, err;
    private final Reaper.Child logger;
    private boolean containerEndsClosed, closed; // guarded by this

    private BinaryIO(OperatingSystem os, int[] out, int[] err, Reaper.Child logger) {
        this.os = os;
        this.out = out;
        this.err = err;
        this.logger = logger;
    }

    static BinaryIO start(OperatingSystem os, ProcessIO.Owner owner, URI uri) throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add(uri.getPath());
        argv.addAll(queryArgs(uri.getRawQuery()));
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("CONTAINER_ID", owner.containerId());
        env.put("CONTAINER_NAMESPACE", owner.namespace());
        int[] out = os.pipe(), err = os.pipe(), ready = os.pipe();
        Reaper.Child logger;
        try {
            os.fchown(out[1], owner.uid(), owner.gid());
            os.fchown(err[1], owner.uid(), owner.gid());
            logger = os.reaper().start(Spawn.of(argv).withEnv(env).withFds(Map.of(3, out[0], 4, err[0], 5, ready[1])));
        } catch (IOException e) {
            for (int fd : new int[] {out[0], out[1], err[0], err[1], ready[0]}) os.close(fd);
            throw new IOException("failed to start logging binary " + uri.getPath() + ": " + e.getMessage(), e);
        } finally {
            // the logger holds its copies; ours of the ready pipe would hide its EOF
            os.close(ready[1]);
        }
        os.close(out[0]);
        os.close(err[0]);
        // a byte or EOF: either way the logger is past its set-up (it exits, and so closes fd 5, if it fails)
        try (InputStream readiness = os.inputStream(ready[0])) {
            BlockingReads.readOne("logger-ready", readiness);
        }
        return new BinaryIO(os, out, err, logger);
    }

    /** {@code ?a=1&b=2} → {@code a 1 b 2}, as containerd passes them. */
    static List<String> queryArgs(String rawQuery) {
        List<String> args = new ArrayList<>();
        if (rawQuery == null || rawQuery.isEmpty()) return args;
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            args.add(URLDecoder.decode(key, StandardCharsets.UTF_8));
            args.add(URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return args;
    }

    @Override
    public Map<Integer, Integer> runcFds() {
        return Map.of(1, out[1], 2, err[1]);
    }

    @Override
    public synchronized void start() {
        closeContainerEnds();
    }

    private void closeContainerEnds() {
        if (containerEndsClosed) return;
        containerEndsClosed = true;
        os.close(out[1]);
        os.close(err[1]);
    }

    @Override
    public void closeStdin() {}

    /** SIGTERM, up to 12 s to flush, then SIGKILL. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
            closeContainerEnds();
        }
        signal(Signals.SIGTERM);
        try {
            logger.exit().get(TERM_GRACE_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            LOG.log(System.Logger.Level.WARNING, "logging binary did not exit " + TERM_GRACE_SECONDS + "s after SIGTERM; killing it");
            signal(Signals.SIGKILL);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            signal(Signals.SIGKILL);
        } catch (ExecutionException e) {
            LOG.log(System.Logger.Level.WARNING, "waiting for logging binary: " + e.getCause());
        }
    }

    private void signal(int signal) {
        if (logger.exit().isDone()) return;
        try {
            os.kill(logger.pid(), signal);
        } catch (ErrnoException e) {
            if (e.errno() != ErrnoException.ESRCH) LOG.log(System.Logger.Level.WARNING, "signal logging binary: " + e.getMessage());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "signal logging binary: " + e.getMessage());
        }
    }

}
