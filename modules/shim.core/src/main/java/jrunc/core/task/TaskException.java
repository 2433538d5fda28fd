package jrunc.core.task;

import jrunc.core.ttrpc.Code;

/**
 * A Task operation failed, classified by the status containerd should see. Inner code chooses the class; only
 * {@link TaskHandlers} turns it into a ttrpc status (mirrors containerd's errdefs classes and {@code ToGRPC}).
 */
public final class TaskException extends Exception {
    private static final long serialVersionUID = 1L;
    private final Code code;

    TaskException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Code code() {
        return code;
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

    /** Unclassified: the text reaches the user as containerd's shim sends it (UNKNOWN). */
    public static TaskException unknown(String message, Throwable cause) {
        return new TaskException(Code.UNKNOWN, message, cause);
    }

    @Override
    public String toString() {
        return code + ": " + getMessage();
    }
}
