package jrunc.core.ttrpc;

/** A call failed with a status: thrown by handlers, turned into a Response status at the edge. */
public class TtrpcException extends Exception {
    private static final long serialVersionUID = 1L;
    private final Code code;

    public TtrpcException(Code code, String message) {
        super(message);
        this.code = code;
    }

    public TtrpcException(Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public Code code() {
        return code;
    }

    public static TtrpcException invalidArgument(String message) {
        return new TtrpcException(Code.INVALID_ARGUMENT, message);
    }

    public static TtrpcException unimplemented(String message) {
        return new TtrpcException(Code.UNIMPLEMENTED, message);
    }

    @Override
    public String toString() {
        return code + ": " + getMessage();
    }
}
