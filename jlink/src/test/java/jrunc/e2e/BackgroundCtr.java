package jrunc.e2e;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A long-running {@code ctr} (for example {@code ctr events}) whose stdout lines are collected as they arrive.
 * Closing it kills the process.
 */
public final class BackgroundCtr implements AutoCloseable {

    private final List<String> command;
    private final Process process;
    private final List<String> lines = new ArrayList<>(); // guarded by itself

    BackgroundCtr(List<String> command) {
        this.command = List.copyOf(command);
        try {
            this.process = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
        Thread.ofVirtual().name("ctr-output").start(this::collect);
    }

    private void collect() {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                synchronized (lines) {
                    lines.add(line);
                    lines.notifyAll();
                }
            }
        } catch (IOException e) {
            // The stream closes when we kill the process; what was read so far is all there is.
        }
    }

    /** The lines written so far (stdout and stderr merged). */
    public List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /**
     * Waits until some line matches, and returns it.
     *
     * @throws AssertionError when the deadline passes first, with the output so far
     */
    public String awaitLine(Predicate<String> wanted, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        synchronized (lines) {
            while (true) {
                for (String line : lines) {
                    if (wanted.test(line)) {
                        return line;
                    }
                }
                long left = Duration.between(Instant.now(), deadline).toMillis();
                if (left <= 0) {
                    throw new AssertionError("no matching line from " + String.join(" ", command)
                            + " within " + timeout + "; output so far:\n  " + String.join("\n  ", lines));
                }
                try {
                    lines.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /** Waits for the command to end; its exit status, or -1 if it still runs after {@code timeout}. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
