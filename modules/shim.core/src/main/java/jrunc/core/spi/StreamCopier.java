package jrunc.core.spi;

import java.time.Duration;

/**
 * Copies stdio streams from one descriptor to another, every stream of the process on one loop: the thread count
 * does not grow with the streams. What containerd's shim does with an {@code io.Copy} goroutine per stream
 * (containerd v1.6.20 pkg/process/io.go, {@code copyPipes}), here with the same back-pressure: a copy holds at most
 * one read's worth of bytes its sink has not taken, and reads nothing more from its source until the sink has taken
 * them, so a sink that is slow or never read stalls its own stream (its writer blocks on a full pipe), never another.
 */
public interface StreamCopier {

    /**
     * Starts copying everything read from {@code source} into {@code sink} until the source's end of file (or a
     * read error: a pty master whose terminal was hung up answers EIO), then writes what is left, asks {@code end}
     * when the sink may close, and closes both. A sink that fails (EPIPE: its reader has gone) ends the copy at
     * once. From here on both descriptors are the copy's; they are made non-blocking (the copy never blocks).
     *
     * @param name for log messages ("stdout", "console-stdin", …)
     */
    Copy copy(String name, int source, int sink, SinkEnd end);

    /** A running copy. */
    interface Copy {
        /** Ends the copy now: stops reading, drops what the sink has not taken, closes both ends. Idempotent. */
        void cancel();

        /** True if the copy has ended within {@code limit}. */
        boolean awaitFinished(Duration limit);
    }

    /** How a copy's sink closes once everything has been written; every method runs on the copier's thread. */
    interface SinkEnd {
        /** The sink closes as soon as everything is written (a pipe to the process, a log file). */
        SinkEnd AT_ONCE = () -> true;

        /**
         * Asked once everything read has been written after the source ended, then again every few milliseconds
         * until it answers true; it must answer at once (no blocking), and answer true within a bounded time.
         */
        boolean mayClose();

        /** The copy is over and its sink closed, however it ended (also on cancel or a failed write). */
        default void closed() {}
    }
}
