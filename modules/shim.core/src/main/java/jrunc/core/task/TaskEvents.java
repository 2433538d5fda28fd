package jrunc.core.task;

import com.google.protobuf.Message;

/**
 * Where the Task service sends its events. The daemon adapts this to the ttrpc publisher (which wraps the message in
 * an {@code Any} with a bare type URL and forwards it to containerd). {@code publish} must only queue: it is called
 * while a container's lock is held, and the order of calls is the order containerd must see.
 *
 * <p>Each event carries the namespace of the task it is about: a daemon grouping tasks node-wide serves several.
 */
@FunctionalInterface
public interface TaskEvents {
    void publish(String namespace, String topic, Message event);
}
