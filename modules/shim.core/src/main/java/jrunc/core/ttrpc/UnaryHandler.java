package jrunc.core.ttrpc;

/**
 * One unary method: request payload bytes in, response payload bytes out. Handlers run concurrently (a blocked
 * {@code Wait} must not hold up {@code State} on the same connection). A payload that will not decode should throw
 * {@link TtrpcException} with {@link Code#INVALID_ARGUMENT}; any other exception becomes {@link Code#UNKNOWN}.
 */
@FunctionalInterface
public interface UnaryHandler {
    byte[] handle(CallContext context, byte[] payload) throws TtrpcException;
}
