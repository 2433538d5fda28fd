package jrunc.core.stdio;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One stdio stream copied on its own thread: open both ends (opening a client FIFO blocks until the client has
 * the other end open), then copy in 32 KiB chunks until EOF, then close both ends.
 *
 * <p>Platform threads with a small stack, not virtual threads: the pipe ends are read and written through the
 * {@code OperatingSystem}'s FFM streams, whose blocking read(2) would pin a carrier thread for the life of the
 * container. A shim holds few streams (at most three per process), so a thread each is cheap and countable.
 */
final class Copier {
    static final int BUFFER_SIZE = 32 * 1024;
    private static final long STACK_SIZE = 256 * 1024;

    /** Opens one end; may block (a FIFO). */
    @FunctionalInterface
    interface Opener<T extends Closeable> {
        T open() throws IOException;
    }

    private final CompletableFuture<Void> opened = new CompletableFuture<>();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private volatile boolean abandoned;

    private Copier() {}

    static Copier start(String name, Opener<InputStream> source, Opener<OutputStream> sink) {
        Copier copier = new Copier();
        Thread.ofPlatform().name("jrunc-io-" + name).daemon(true).stackSize(STACK_SIZE)
                .start(() -> copier.run(source, sink));
        return copier;
    }

    private void run(Opener<InputStream> source, Opener<OutputStream> sink) {
        try (InputStream in = source.open(); OutputStream out = sink.open()) {
            opened.complete(null);
            if (abandoned) return;
            byte[] buffer = new byte[BUFFER_SIZE];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
            }
        } catch (IOException | RuntimeException e) {
            // after a successful open this is the client going away or close() cutting us off: nothing to report
            opened.completeExceptionally(e);
        } finally {
            finished.complete(null);
        }
    }

    /**
     * Waits until both ends are open. On timeout the copier is abandoned: {@code unblock} is run to release a
     * blocked FIFO open (by opening the other end ourselves) and the copier then closes what it opened.
     */
    void awaitOpened(Duration limit, Runnable unblock) throws IOException {
        try {
            opened.get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            abandoned = true;
            unblock.run();
            throw new IOException("timed out after " + limit.toSeconds() + "s waiting for the client to open its end", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandoned = true;
            unblock.run();
            throw new IOException("interrupted while opening stdio", e);
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

    boolean isFinished() {
        return finished.isDone();
    }
}
