package jrunc.core.stdio;

import java.time.Duration;
import java.util.List;
import jrunc.core.spi.StreamCopier;

/** The end of a process's copies, as containerd's delete: their output drains for a bounded time, then they stop. */
final class Copies {
    private static final System.Logger LOG = System.getLogger(Copies.class.getName());

    private Copies() {}

    /**
     * Waits up to {@link ProcessIO#DRAIN_LIMIT} (in all) for each copy to end, then cancels those still running:
     * a process that left a child holding its stdout keeps that pipe open, and containerd's shim closes its end
     * of the pipes once the wait is over too ({@code Init.delete}, containerd v1.6.20 pkg/process/init.go). A
     * cancelled copy ends at once (the copier never blocks), so its descriptors are closed when this returns.
     */
    static void drain(List<StreamCopier.Copy> copies) {
        long deadline = System.nanoTime() + ProcessIO.DRAIN_LIMIT.toNanos();
        for (StreamCopier.Copy c : copies) {
            if (!c.awaitFinished(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                LOG.log(System.Logger.Level.DEBUG, "stdio copy still running after " + ProcessIO.DRAIN_LIMIT.toSeconds()
                        + "s (something still holds the process's output); stopping it");
                c.cancel();
                c.awaitFinished(ProcessIO.DRAIN_LIMIT);
            }
        }
    }
}
