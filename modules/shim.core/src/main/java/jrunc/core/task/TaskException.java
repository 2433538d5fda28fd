package jrunc.core.task;

import jrunc.core.runc.RuncException;
import jrunc.core.ttrpc.Code;
import jrunc.core.ttrpc.TtrpcException;

/**
 * A Task operation failed, classified where the failure was understood (containerd's errdefs classes). It is a
 * {@link TtrpcException}, so it leaves the handler as it is: the ttrpc server turns it into the status on the wire
 * ({@link jrunc.core.ttrpc.Statuses#fromThrowable}), the one place where any failure becomes a status. An
 * {@link #unknown} one is not classified: the server then looks at its cause, as ttrpc's {@code convertCode} does.
 */
public final class TaskException extends TtrpcException {
    private static final long serialVersionUID = 1L;

    TaskException(Code code, String message, Throwable cause) {
        super(code, message, cause);
    }

    public static TaskException notFound(String message) {
        return new TaskException(Code.NOT_FOUND, message, null);
    }

    public static TaskException alreadyExists(String message) {
        return new TaskException(Code.ALREADY_EXISTS, message, null);
    }

    public static TaskException failedPrecondition(String message) {
        return new TaskException(Code.FAILED_PRECONDITION, message, null);
    }

    public static TaskException invalidArgument(String message) {
        return new TaskException(Code.INVALID_ARGUMENT, message, null);
    }

    public static TaskException unimplemented(String message) {
        return new TaskException(Code.UNIMPLEMENTED, message, null);
    }

    /** Unclassified: the text reaches the user as containerd's shim sends it; the cause may still pick the code. */
    public static TaskException unknown(String message, Throwable cause) {
        return new TaskException(Code.UNKNOWN, message, cause);
    }

    /** containerd's {@code runtimeError}: "OCI runtime create failed: &lt;runc's words&gt;" ({@code pkg/process/init.go}). */
    public static TaskException runtimeError(String what, RuncException e) {
        return unknown(what + ": " + e.getMessage(), e);
    }
}
