package jrunc.core.ttrpc;

import java.io.EOFException;
import java.io.FileNotFoundException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import jrunc.proto.rpc.Status;

/**
 * The one place where a failure becomes a {@code google.rpc.Status} on the wire, and back. Mirrors ttrpc's
 * {@code convertCode} ({@code services.go}, v1.1.1): a few plain I/O errors get their own code, so that containerd
 * can tell "not found" from a real failure; anything unclassified is UNKNOWN carrying its message, which containerd
 * shows to the user.
 */
public final class Statuses {
    private Statuses() {}

    public static Status of(Code code, String message) {
        return Status.newBuilder().setCode(code.value()).setMessage(message).build();
    }

    /**
     * The status a handler's failure goes out as. A {@link TtrpcException} classified by its thrower keeps its code;
     * anything else (an unclassified UNKNOWN one included) gets the code of the first plain I/O error in its chain of
     * causes, as ttrpc's {@code convertCode} finds one with {@code errors.Is}, else UNKNOWN. The message is always the
     * failure's own.
     */
    public static Status fromThrowable(Throwable failure) {
        if (failure instanceof TtrpcException e && e.code() != Code.UNKNOWN) return of(e.code(), messageOf(e));
        return of(codeOfCauses(failure), messageOf(failure));
    }

    private static Code codeOfCauses(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            Code code = switch (t) {
                case NoSuchFileException _, FileNotFoundException _ -> Code.NOT_FOUND;
                case FileAlreadyExistsException _ -> Code.ALREADY_EXISTS;
                case AccessDeniedException _ -> Code.PERMISSION_DENIED;
                case EOFException _ -> Code.OUT_OF_RANGE;
                default -> null;
            };
            if (code != null) return code;
        }
        return Code.UNKNOWN;
    }

    /** The exception a caller sees for a non-OK status. */
    public static TtrpcException toException(Status status) {
        return new TtrpcException(Code.of(status.getCode()), status.getMessage());
    }

    /** What a receiver answers for a frame over the limit; the words are ttrpc's ({@code channel.go}). */
    public static Status oversized(long length) {
        return of(Code.RESOURCE_EXHAUSTED, "message length " + length + " exceed maximum message size of "
                + FrameHeader.MAX_MESSAGE_LENGTH);
    }

    private static String messageOf(Throwable failure) {
        String message = failure.getMessage();
        return message == null ? failure.toString() : message;
    }
}
