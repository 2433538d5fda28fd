package jrunc.core.runc;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import jrunc.core.spi.BlockingReads;
import jrunc.core.spi.Exit;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.Reaper;
import jrunc.core.spi.Signals;
import jrunc.core.spi.Spawn;

/**
 * One runc command, run to its end through the shim's reaper (never the JDK's process API: its reaper would take
 * the exit status from ours), and killed if it outlives its deadline.
 *
 * <p>Its stdout and stderr are what go-runc v1.0.0 makes of them: the container's own stdio for a command that hands
 * its stdio to the container ({@code create}, {@code exec}, {@code restore} without a terminal: the container's
 * pipes, or /dev/null), otherwise one pipe read to EOF, so that a failure can quote what runc printed. Never both:
 * a container that inherited the pipe would hold it open for its whole life. A failure carries runc's own words:
 * the last error-level entry this call wrote to {@code log.json}, and what runc printed when that adds something.
 */
final class RuncCall {
    private static final System.Logger LOG = System.getLogger(RuncCall.class.getName());
    /** Enough of runc's output for any message it prints; a runaway writer is cut here. */
    private static final int MAX_QUOTED = 4096;

    /**
     * One daemon thread for the deadlines of every runc command of the process. A timer is dropped when its command
     * ends, and the thread itself ends once no command has run for a while: an idle shim does not keep it.
     */
    private static final class Deadlines {
        static final ScheduledThreadPoolExecutor TIMERS = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("jrunc-runc-deadlines").daemon(true).stackSize(256 * 1024).factory());

        static {
            TIMERS.setRemoveOnCancelPolicy(true);
            TIMERS.setKeepAliveTime(10, TimeUnit.SECONDS);
            TIMERS.allowCoreThreadTimeOut(true);
        }
    }

    private final OperatingSystem os;
    private final List<String> argv;
    private final String name;
    private final RuncLog log;

    /** @param name the command as the user should read it, e.g. {@code runc create c1} */
    RuncCall(OperatingSystem os, List<String> argv, String name, RuncLog log) {
        this.os = os;
        this.argv = List.copyOf(argv);
        this.name = name;
        this.log = log;
    }

    /**
     * Runs the command and returns what it printed ("" when its output went to the container).
     *
     * @param containerStdio runc's fds 0–2 that belong to the container (child fd → our fd; a missing one is
     *                       /dev/null), or null when runc's stdio is its own and is read here
     * @param stdin          bytes for runc's stdin, or null
     * @param deadline       when to give up on it
     */
    byte[] run(Map<Integer, Integer> containerStdio, byte[] stdin, RuncDeadline deadline) throws RuncException {
        long logStart = log.size();
        boolean capture = containerStdio == null;
        Map<Integer, Integer> fds = new HashMap<>(capture ? Map.of() : containerStdio);
        int[] out = capture ? pipe() : null;
        int[] in = stdin == null ? null : pipe();
        if (out != null) {
            fds.put(1, out[1]);
            fds.put(2, out[1]);
        }
        if (in != null) fds.put(0, in[0]);
        Reaper.Child child;
        try {
            child = start(fds);
        } catch (RuncException e) {
            if (out != null) os.close(out[0]);
            if (in != null) os.close(in[1]);
            throw e;
        } finally {
            // the child has its copies now; ours would keep the pipes open forever
            if (out != null) os.close(out[1]);
            if (in != null) os.close(in[0]);
        }
        AtomicBoolean killed = new AtomicBoolean();
        ScheduledFuture<?> timer = arm(child, deadline, killed);
        if (in != null) feed(in[1], stdin);
        byte[] output = new byte[0];
        if (out != null) {
            try {
                output = BlockingReads.readAll("runc", os.inputStream(out[0]));
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "reading the output of " + name + ": " + e.getMessage());
            }
        }
        Exit exit = await(child);
        timer.cancel(false);
        if (killed.get()) {
            throw failure(logStart, output, name + " did not finish within " + deadline.describe() + ": killed it");
        }
        if (exit.status() != 0) throw failure(logStart, output, "exit status " + exit.status());
        return output;
    }

    private Reaper.Child start(Map<Integer, Integer> fds) throws RuncException {
        Spawn spawn = Spawn.of(argv).withFds(fds);
        // go-runc drops NOTIFY_SOCKET: runc would otherwise notify systemd on containerd's behalf
        if (System.getenv("NOTIFY_SOCKET") != null) {
            Map<String, String> env = new HashMap<>(System.getenv());
            env.remove("NOTIFY_SOCKET");
            spawn = spawn.withEnv(env);
        }
        try {
            return os.reaper().start(spawn);
        } catch (IOException e) {
            throw new RuncException("exec: " + argv.getFirst() + ": " + e.getMessage(), e);
        }
    }

    private int[] pipe() throws RuncException {
        try {
            return os.pipe();
        } catch (IOException e) {
            throw new RuncException("failed to create a pipe for " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Kills the command if it is still running when the deadline passes; its pipe then reaches EOF and its exit
     * (128 + SIGKILL) comes through the reaper as usual, so the reads and waits above end by themselves.
     */
    private ScheduledFuture<?> arm(Reaper.Child child, RuncDeadline deadline, AtomicBoolean killed) {
        Duration left = deadline.remaining();
        return Deadlines.TIMERS.schedule(() -> {
            if (child.exit().isDone()) return;
            killed.set(true);
            try {
                os.kill(child.pid(), Signals.SIGKILL);
                LOG.log(System.Logger.Level.WARNING, name + " did not finish within " + deadline.describe()
                        + ": killed pid " + child.pid());
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, name + " exited while being killed: " + e.getMessage());
            }
        }, Math.max(0, left.toNanos()), TimeUnit.NANOSECONDS);
    }

    /** runc reads stdin before it does anything else; if it died first the write fails with EPIPE, which is fine. */
    private void feed(int fd, byte[] bytes) {
        try (OutputStream writer = os.outputStream(fd)) {
            writer.write(bytes);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "writing the stdin of " + name + ": " + e.getMessage());
        }
    }

    private Exit await(Reaper.Child child) throws RuncException {
        try {
            return child.exit().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RuncException("interrupted while waiting for " + name, e);
        } catch (ExecutionException e) {
            throw new RuncException("wait for " + name + ": " + e.getCause(), e.getCause());
        }
    }

    /**
     * runc's words for a failure: its last logged error, then what it printed if that says more, else the plain
     * {@code what} (go-runc's {@code exit status N: output}).
     */
    private RuncException failure(long logStart, byte[] output, String what) {
        String logged = log.lastError(logStart);
        String printed = new String(output, 0, Math.min(output.length, MAX_QUOTED), StandardCharsets.UTF_8).strip();
        String words = logged;
        boolean redundant = logged.contains(printed) || (!logged.isEmpty() && printed.contains(logged));
        if (!printed.isEmpty() && !redundant) words = words.isEmpty() ? printed : words + ": " + printed;
        boolean plainExit = what.startsWith("exit status");
        if (words.isEmpty()) {
            String why = log.whyNothingLogged();
            return new RuncException(why.isEmpty() ? what : what + ": runc logged no error: " + why);
        }
        return new RuncException(plainExit && !logged.isEmpty() ? words : what + ": " + words);
    }
}
