package jrunc.core.runc;

import jrunc.core.task.TaskException;

/**
 * A runc command failed. The message is runc's own words: the last error of {@code log.json} written by this call,
 * else its output, else its exit status (go-runc's "exit status N: output").
 */
public final class RuncException extends Exception {
    private static final long serialVersionUID = 1L;

    RuncException(String message) {
        super(message);
    }

    RuncException(String message, Throwable cause) {
        super(message, cause);
    }

    /** containerd's {@code runtimeError}: "OCI runtime create failed: &lt;runc's message&gt;", classified UNKNOWN. */
    public TaskException runtimeError(String what) {
        return TaskException.unknown(what + ": " + getMessage(), this);
    }
}
