package jrunc.core.stdio;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One stdio stream copied on its own thread, in 32 KiB chunks until EOF, then both ends closed. The ends are open
 * already (see {@link ClientEnds}): nothing here waits for the client.
 *
 * <p>Platform threads with a small stack, not virtual threads: the pipe ends are read and written through the
 * {@code OperatingSystem}'s FFM streams, whose blocking read(2) would pin a carrier thread for the life of the
 * container. A shim holds few streams (at most three per process), so a thread each is cheap and countable.
 */
final class Copier {
    static final int BUFFER_SIZE = 32 * 1024;
    private static final long STACK_SIZE = 256 * 1024;

    private final CompletableFuture<Void> finished = new CompletableFuture<>();

    private Copier() {}

    static Copier start(String name, InputStream source, OutputStream sink) {
        Copier copier = new Copier();
        Thread.ofPlatform().name("jrunc-io-" + name).daemon(true).stackSize(STACK_SIZE)
                .start(() -> copier.run(source, sink));
        return copier;
    }

    private void run(InputStream source, OutputStream sink) {
        try (InputStream in = source; OutputStream out = sink) {
            byte[] buffer = new byte[BUFFER_SIZE];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
            // the process's end is closed: the output is complete once the client can read it
            if (out instanceof ClientEnds.FifoWriter fifo) fifo.closeOnceRead(ProcessIO.DRAIN_LIMIT);
        } catch (IOException | RuntimeException e) {
            // the client going away or close() cutting us off: nothing to report
        } finally {
            finished.complete(null);
        }
    }

    /** True if the copy has ended within {@code limit}. */
    boolean awaitFinished(Duration limit) {
        try {
            finished.get(limit.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
