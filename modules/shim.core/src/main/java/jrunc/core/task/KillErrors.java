package jrunc.core.task;

import java.util.Locale;

/**
 * What a failed kill means. Mirrors {@code checkKillError} in containerd's {@code pkg/process/utils.go} (v1.6.20):
 * containerd treats NOT_FOUND from Kill as "already done", so a process that is gone must answer NOT_FOUND and
 * not a scary UNKNOWN.
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
}
