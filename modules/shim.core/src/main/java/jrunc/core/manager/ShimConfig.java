package jrunc.core.manager;

import java.time.Duration;
import java.util.Locale;

/**
 * jrunc's own settings for a runtime handler, read from the {@code [jrunc]} table of the file the handler's
 * {@code ConfigPath} names (the same file as its runc options, {@link RuncOptionsFile}):
 *
 * <pre>{@code
 * [jrunc]
 * grouping = "pod"        # "pod" (the default), "namespace" or "node"
 * spare = false           # true: keep one booted daemon waiting for the next start (a warm spare)
 * spare_idle_seconds = 600
 * }</pre>
 *
 * @param grouping  which tasks share one shim daemon when a task's spec names no group of its own
 * @param spare     whether {@code start} hands its task to a warm spare daemon and boots the next one
 * @param spareIdle how long a spare waits for a {@code start} before it exits by itself
 */
public record ShimConfig(Grouping grouping, boolean spare, Duration spareIdle) {
    /** A spare that nobody adopts exits after this long. */
    public static final Duration DEFAULT_SPARE_IDLE = Duration.ofMinutes(10);
    /** The longest idle time a handler may set: a day. */
    public static final Duration MAX_SPARE_IDLE = Duration.ofDays(1);
    /** The runc shim's own rule: one daemon per pod (sandbox), else per task; no spare. */
    public static final ShimConfig DEFAULT = new ShimConfig(Grouping.POD, false, DEFAULT_SPARE_IDLE);

    public ShimConfig {
        if (spareIdle.isNegative() || spareIdle.isZero() || spareIdle.compareTo(MAX_SPARE_IDLE) > 0) {
            throw new IllegalArgumentException("spare idle time " + spareIdle + " is not between 1 s and a day");
        }
    }

    /** Go's rule for grouping, without a spare: what a handler with no {@code [jrunc]} table gets. */
    public ShimConfig(Grouping grouping) {
        this(grouping, false, DEFAULT_SPARE_IDLE);
    }

    /**
     * Which tasks one daemon serves. An {@code io.containerd.runc.v2.group} annotation on a task always wins: it is
     * the per-task override, as for Go's shim. Anything coarser than a pod trades isolation for memory: a daemon that
     * crashes takes the tasks it serves with it (each ends as containerd's cleanup of a dead shim ends it).
     */
    public enum Grouping {
        /** Go's rule: the group annotation, else the CRI sandbox id, else the task's own id. */
        POD,
        /** One daemon per containerd namespace (the socket Go's shim uses for an empty group annotation). */
        NAMESPACE,
        /** One daemon per containerd, for every namespace. */
        NODE;

        /** {@code "pod"}, {@code "namespace"} or {@code "node"}, any case; null for anything else. */
        public static Grouping parse(String text) {
            return switch (text.toLowerCase(Locale.ROOT)) {
                case "pod" -> POD;
                case "namespace" -> NAMESPACE;
                case "node" -> NODE;
                default -> null;
            };
        }
    }
}
