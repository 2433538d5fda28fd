package jrunc.core.events;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;

/**
 * {@link Any} with the bare full proto name as {@code type_url}, e.g. {@code containerd.events.TaskExit}, which is
 * how containerd writes and reads them. containerd 1.6's type registry matches exact names, so the
 * {@code type.googleapis.com/} prefix that {@link Any#pack} adds is refused (typeurl in containerd v1.6.20,
 * vendor/github.com/containerd/typeurl/types.go). Reading needs care too:
 * protobuf-java's {@link Any#unpack} and {@link Any#is} find no type name in a URL without {@code /}, so they
 * refuse containerd's own Anys (the runc {@code Options} in CreateTaskRequest, for one).
 */
public final class BareAny {
    private BareAny() {}

    /** Packs {@code message} under its bare full name. */
    public static Any anyOf(Message message) {
        return Any.newBuilder()
                .setTypeUrl(message.getDescriptorForType().getFullName())
                .setValue(message.toByteString())
                .build();
    }

    /** The proto name an Any holds: its whole {@code type_url} if bare, else what follows the last {@code /}. */
    public static String typeName(Any any) {
        String url = any.getTypeUrl();
        return url.substring(url.lastIndexOf('/') + 1);
    }

    /** Whether {@code any} holds a message of {@code prototype}'s type, bare or prefixed. */
    public static boolean is(Any any, Message prototype) {
        return typeName(any).equals(prototype.getDescriptorForType().getFullName());
    }

    /**
     * Unpacks {@code any}, bare or prefixed, as {@code prototype}'s type.
     *
     * @param prototype e.g. {@code Options.getDefaultInstance()}
     * @throws InvalidProtocolBufferException the Any holds another type, or its value does not decode
     */
    @SuppressWarnings("unchecked")
    public static <T extends Message> T unpack(Any any, T prototype) throws InvalidProtocolBufferException {
        if (!is(any, prototype)) {
            throw new InvalidProtocolBufferException("type_url " + any.getTypeUrl() + ": expected "
                    + prototype.getDescriptorForType().getFullName());
        }
        return (T) prototype.getParserForType().parseFrom(any.getValue());
    }
}
