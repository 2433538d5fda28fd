package jrunc.core.runc;

import java.time.Duration;
import java.util.Locale;

/**
 * When a runc command is given up on and killed: after a limit of its own, or earlier, a little before the deadline
 * of the call that asked for it, so that the caller still hears why. go-runc kills runc when the request's context
 * ends ({@code exec.CommandContext}); containerd's shim puts no bound of its own on runc, so a hung runc there hangs
 * {@code ctr run} for ever.
 *
 * @param atNanos   {@link System#nanoTime()} at which to kill
 * @param limit     how long that is from the start, for the message
 * @param byCaller  true when the caller's deadline, not the command's own limit, set it
 */
record RuncDeadline(long atNanos, Duration limit, boolean byCaller) {
    /** The caller gets the error this long before its own deadline, at most. */
    private static final Duration ANSWER_MARGIN = Duration.ofSeconds(1);

    /** @param callDeadlineNanos the caller's deadline ({@link System#nanoTime()}), or {@link Long#MAX_VALUE} */
    static RuncDeadline of(Duration limit, long callDeadlineNanos) {
        long now = System.nanoTime();
        if (callDeadlineNanos != Long.MAX_VALUE) {
            long remaining = callDeadlineNanos - now;
            long beforeCaller = remaining - Math.min(ANSWER_MARGIN.toNanos(), Math.max(0, remaining) / 4);
            if (beforeCaller < limit.toNanos()) {
                return new RuncDeadline(now + Math.max(0, beforeCaller), Duration.ofNanos(Math.max(0, beforeCaller)), true);
            }
        }
        return new RuncDeadline(now + limit.toNanos(), limit, false);
    }

    Duration remaining() {
        return Duration.ofNanos(Math.max(0, atNanos - System.nanoTime()));
    }

    /** E.g. {@code 120 s}, or {@code 2.4 s (the caller's deadline)}. */
    String describe() {
        double seconds = limit.toMillis() / 1000.0;
        String text = seconds == Math.rint(seconds) ? String.format(Locale.ROOT, "%.0f s", seconds)
                : String.format(Locale.ROOT, "%.1f s", seconds);
        return byCaller ? text + " (the caller's deadline)" : text;
    }
}
