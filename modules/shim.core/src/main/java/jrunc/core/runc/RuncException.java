package jrunc.core.runc;

/**
 * A runc command failed. The message is runc's own words: the last error of {@code log.json} written by this call
 * and what runc printed, else its exit status (go-runc's "exit status N: output"); or that the shim killed it
 * because it outlived its deadline.
 */
public final class RuncException extends Exception {
    private static final long serialVersionUID = 1L;

    RuncException(String message) {
        super(message);
    }

    RuncException(String message, Throwable cause) {
        super(message, cause);
    }
}
