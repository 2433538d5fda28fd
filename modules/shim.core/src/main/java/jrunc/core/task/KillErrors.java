package jrunc.core.task;

import java.util.Locale;
import jrunc.core.spi.ErrnoException;

/**
 * What a failed kill means. Mirrors {@code checkKillError} in containerd's {@code pkg/process/utils.go} (v1.6.20):
 * containerd treats NOT_FOUND from Kill as "already done", so a process that is gone must answer NOT_FOUND and
 * not a scary UNKNOWN. The one place runc's kill text is matched.
 */
final class KillErrors {
    private KillErrors() {}

    static TaskException classify(String message) {
        if (message.contains("os: process already finished") || message.contains("container not running")
                || message.toLowerCase(Locale.ROOT).contains("no such process")) {
            return TaskException.notFound("process already finished");
        }
        if (message.contains("does not exist")) {
            return TaskException.notFound("no such container");
        }
        return TaskException.unknown("unknown error after kill: " + message, null);
    }

    /** kill(2) of an exec: ESRCH is a process already gone. */
    static TaskException classify(ErrnoException e) {
        if (e.errno() == ErrnoException.ESRCH) return TaskException.notFound("process already finished");
        return TaskException.unknown("exec kill error: " + e.getMessage(), e);
    }
}
