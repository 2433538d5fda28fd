package jrunc.core.events;

import com.google.protobuf.Message;
import java.time.Duration;

/**
 * Sends task events to containerd. Publishing never blocks the caller: the Task service publishes while holding
 * its locks (TaskStart is queued under the lock that keeps it ahead of TaskExit, containerd v1.6.20
 * runtime/v2/runc/task/service.go, eventSendMu), so a slow or absent
 * containerd must not stall it. Events are delivered in the order they were published.
 */
public interface EventPublisher {
    /**
     * Queues {@code event} for {@code topic} (see {@link Topics}) in {@code namespace}.
     *
     * @param event a {@code containerd.events} message, e.g. {@code TaskExit}
     */
    void publish(String namespace, String topic, Message event);

    /** Stops taking events and waits up to {@code drain} for the queued ones to be sent; the rest are dropped. */
    void close(Duration drain);
}
