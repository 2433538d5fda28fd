package jrunc.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import sun.misc.Signal;

/**
 * SIGUSR1 writes a dump of every thread into the shim's log, as containerd's shim dumps its goroutines
 * ({@code dumpStacks} in containerd v1.6.20 runtime/v2/shim/shim.go, {@code setupDumpStacks} in shim_unix.go): one
 * log entry between "=== BEGIN thread dump ===" and "=== END thread dump ===". The JDK lists platform threads
 * only; the virtual ones (ttrpc calls, connections) come from their owner.
 */
final class ThreadDump {
    private static final System.Logger LOG = System.getLogger("jrunc.shim");

    private ThreadDump() {}

    /** Handles SIGUSR1 from now on; a JVM that keeps the signal for itself is logged and the shim runs on. */
    static void onSigusr1(Supplier<Collection<Thread>> virtualThreads) {
        try {
            Signal.handle(new Signal("USR1"), signal -> LOG.log(System.Logger.Level.INFO,
                    "=== BEGIN thread dump ===\n" + of(virtualThreads.get()) + "=== END thread dump ==="));
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "no thread dump on SIGUSR1: " + e.getMessage());
        }
    }

    /** Every platform thread and the given virtual ones, each with its stack, as jstack words them. */
    static String of(Collection<Thread> virtualThreads) {
        List<Map.Entry<Thread, StackTraceElement[]>> all = new ArrayList<>(Thread.getAllStackTraces().entrySet());
        for (Thread t : virtualThreads) all.add(Map.entry(t, t.getStackTrace()));
        all.sort(Comparator.comparing((Map.Entry<Thread, StackTraceElement[]> e) -> e.getKey().isVirtual())
                .thenComparing(e -> e.getKey().getName()));
        StringBuilder out = new StringBuilder();
        for (Map.Entry<Thread, StackTraceElement[]> e : all) {
            Thread t = e.getKey();
            out.append('"').append(t.getName()).append("\" #").append(t.threadId())
                    .append(t.isVirtual() ? " virtual" : t.isDaemon() ? " daemon" : "").append(' ')
                    .append(t.getState()).append('\n');
            for (StackTraceElement frame : e.getValue()) out.append("\tat ").append(frame).append('\n');
            out.append('\n');
        }
        return out.toString();
    }
}
