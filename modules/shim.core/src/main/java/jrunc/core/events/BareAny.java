package jrunc.core.events;

import com.google.protobuf.Any;
import com.google.protobuf.Message;

/**
 * Packs a message into an {@link Any} whose {@code type_url} is the bare full proto name, e.g.
 * {@code containerd.events.TaskExit}. containerd 1.6's type registry matches exact names, so the
 * {@code type.googleapis.com/} prefix that {@link Any#pack} adds is refused (contract §0.7). Reading needs no helper:
 * {@link Any#unpack} takes the name after the last {@code /}, so bare names unpack as they are.
 */
public final class BareAny {
    private BareAny() {}

    public static Any anyOf(Message message) {
        return Any.newBuilder()
                .setTypeUrl(message.getDescriptorForType().getFullName())
                .setValue(message.toByteString())
                .build();
    }
}
