package jrunc.core.ttrpc;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting for a condition in a test: poll with a deadline, never sleep a fixed time. */
public final class Polling {
    private Polling() {}

    /** Polls {@code condition} every 5 ms until it holds; fails naming {@code what} once {@code timeout} passes. */
    public static void await(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) throw new AssertionError("timed out waiting for " + what);
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }
}
