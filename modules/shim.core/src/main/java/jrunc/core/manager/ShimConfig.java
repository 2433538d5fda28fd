package jrunc.core.manager;

import java.util.Locale;

/**
 * jrunc's own settings for a runtime handler, read from the {@code [jrunc]} table of the file the handler's
 * {@code ConfigPath} names (the same file as its runc options, {@link RuncOptionsFile}):
 *
 * <pre>{@code
 * [jrunc]
 * grouping = "pod"        # "pod" (the default), "namespace" or "node"
 * }</pre>
 *
 * @param grouping which tasks share one shim daemon when a task's spec names no group of its own
 */
public record ShimConfig(Grouping grouping) {
    /** The runc shim's own rule: one daemon per pod (sandbox), else per task. */
    public static final ShimConfig DEFAULT = new ShimConfig(Grouping.POD);

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
