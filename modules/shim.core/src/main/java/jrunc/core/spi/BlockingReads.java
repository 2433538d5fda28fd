package jrunc.core.spi;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Reads that block in native code, moved off virtual threads. The Task RPCs run on ttrpc's virtual threads, and the
 * {@code OperatingSystem}'s fd streams block in read(2) through FFM, which pins the carrier thread for as long as the
 * read waits. Reading runc's output that way would hold a carrier for the whole runc call: on a two-CPU node two
 * concurrent calls (a pod's containers created together) take every carrier, and every other RPC of the daemon,
 * containerd's 5 s Connect included, waits until runc returns. So such a read runs on a short-lived platform thread
 * while the virtual caller parks, which frees its carrier.
 */
public final class BlockingReads {
    private static final long STACK_SIZE = 256 * 1024;

    @FunctionalInterface
    private interface Read<T> {
        T read() throws IOException;
    }

    private BlockingReads() {}

    /** Reads {@code in} to EOF and closes it. */
    public static byte[] readAll(String name, InputStream in) throws IOException {
        return offCarrier(name, () -> {
            try (in) {
                return in.readAllBytes();
            }
        });
    }

    /** Reads one byte, or -1 at EOF, leaving {@code in} open. */
    public static int readOne(String name, InputStream in) throws IOException {
        return offCarrier(name, in::read);
    }

    /** Runs {@code read} here on a platform thread, else on a platform thread of its own while the caller parks. */
    private static <T> T offCarrier(String name, Read<T> read) throws IOException {
        if (!Thread.currentThread().isVirtual()) return read.read();
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofPlatform().name("jrunc-read-" + name).daemon(true).stackSize(STACK_SIZE).start(() -> {
            try {
                result.complete(read.read());
            } catch (IOException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        try {
            // not interruptible on purpose: the caller closes the stream when this returns, and an fd closed under a
            // thread blocked reading it may already be another file's; the read ends anyway once the writer exits
            return result.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }
}
