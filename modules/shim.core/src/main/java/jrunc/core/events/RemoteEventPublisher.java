package jrunc.core.events;

import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import jrunc.core.ttrpc.CallContext;
import jrunc.core.ttrpc.Code;
import jrunc.core.ttrpc.TtrpcClient;
import jrunc.core.ttrpc.TtrpcException;
import jrunc.proto.eventsapi.Envelope;
import jrunc.proto.eventsapi.ForwardRequest;

/**
 * Forwards events to containerd's ttrpc socket ({@code $TTRPC_ADDRESS}) with
 * {@code containerd.services.events.ttrpc.v1.Events/Forward}. Mirrors {@code RemoteEventsPublisher} in containerd's
 * {@code runtime/v2/shim/publisher.go} (v1.6.20): each Forward has a 5 s deadline, a failed event is retried after
 * 1 s × attempt up to 5 times and then dropped, and the client dials again once containerd is back.
 *
 * <p>Unlike containerd's publisher, a failed event is retried <em>in place</em>: nothing published after it is sent
 * until it has gone out or been dropped. containerd's shim moves it to a side queue, so a {@code /tasks/exit} can
 * overtake the {@code /tasks/start} that failed before it, and CRI then sees a task exit that never started.
 *
 * <p>One sender thread drains a bounded queue. {@link #publish} never blocks: when the queue is full (containerd
 * away for long) the oldest queued event is dropped, with a log line, to make room.
 */
public final class RemoteEventPublisher implements EventPublisher {
    private static final Logger LOG = System.getLogger(RemoteEventPublisher.class.getName());
    static final String SERVICE = "containerd.services.events.ttrpc.v1.Events";
    static final String METHOD = "Forward";

    /**
     * How hard to try.
     *
     * @param queueCapacity  events waiting to be sent, beyond which the oldest is dropped
     * @param forwardTimeout deadline of one Forward call
     * @param retryBackoff   wait before retry n is n × this
     * @param maxRetries     retries after the first attempt, then the event is dropped
     */
    public record Policy(int queueCapacity, Duration forwardTimeout, Duration retryBackoff, int maxRetries) {
        /** containerd's runc shim's figures, with a larger queue (it has 128). */
        public static final Policy DEFAULT = new Policy(1024, Duration.ofSeconds(5), Duration.ofSeconds(1), 5);

        public Policy {
            if (queueCapacity < 1) throw new IllegalArgumentException("queueCapacity : " + queueCapacity + " (expected: > 0)");
            if (maxRetries < 0) throw new IllegalArgumentException("maxRetries : " + maxRetries + " (expected: >= 0)");
            Objects.requireNonNull(forwardTimeout, "forwardTimeout");
            Objects.requireNonNull(retryBackoff, "retryBackoff");
        }
    }

    /** An event ready to go: its namespace (sent as metadata too) and the encoded ForwardRequest. */
    private record Outgoing(String namespace, String topic, byte[] request) {}

    private final TtrpcClient client;
    private final Clock clock;
    private final Policy policy;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when an event is queued, when the sender finishes one, and on close. */
    private final Condition changed = lock.newCondition();
    /** Guarded by {@link #lock}. */
    private final ArrayDeque<Outgoing> queue = new ArrayDeque<>();
    /** Whether the sender holds an event taken from the queue. Guarded by {@link #lock}. */
    private boolean sending;
    /** Guarded by {@link #lock}. */
    private boolean closed;
    private final Thread sender;

    /** A publisher to containerd's ttrpc socket, with containerd's retry figures. */
    public RemoteEventPublisher(Path ttrpcAddress) {
        this(new TtrpcClient(ttrpcAddress), Clock.systemUTC(), Policy.DEFAULT);
    }

    /** @param client owned by the publisher from now on; closed by {@link #close} */
    public RemoteEventPublisher(TtrpcClient client, Clock clock, Policy policy) {
        this.client = Objects.requireNonNull(client, "client");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.sender = Thread.ofVirtual().name("events-publisher").start(this::sendLoop);
    }

    @Override
    public void publish(String namespace, String topic, Message event) {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(event, "event");
        if (!topic.startsWith("/")) throw new IllegalArgumentException("topic : " + topic + " (expected: /…)");
        // Stamped now, not when sent: containerd orders and reports events by this time.
        Instant now = clock.instant();
        Envelope envelope = Envelope.newBuilder()
                .setTimestamp(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .setNamespace(namespace)
                .setTopic(topic)
                .setEvent(BareAny.anyOf(event))
                .build();
        Outgoing outgoing = new Outgoing(namespace, topic,
                ForwardRequest.newBuilder().setEnvelope(envelope).build().toByteArray());
        Outgoing dropped = null;
        lock.lock();
        try {
            if (closed) {
                LOG.log(Level.WARNING, "event publisher closed, dropping event topic=" + topic);
                return;
            }
            if (queue.size() >= policy.queueCapacity()) dropped = queue.pollFirst();
            queue.addLast(outgoing);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (dropped != null) {
            LOG.log(Level.WARNING, "event queue full (" + policy.queueCapacity() + "), dropping oldest event topic="
                    + dropped.topic() + " namespace=" + dropped.namespace());
        }
    }

    /**
     * Stops taking events, then waits up to {@code drain} for the queue to empty (the sender keeps retrying while it
     * waits). What is left is dropped, and the connection to containerd is closed.
     */
    @Override
    public void close(Duration drain) {
        int left;
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
            long remaining = drain.toNanos();
            while ((sending || !queue.isEmpty()) && remaining > 0) remaining = changed.awaitNanos(remaining);
            left = queue.size() + (sending ? 1 : 0);
            queue.clear();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            left = queue.size() + (sending ? 1 : 0);
            queue.clear();
        } finally {
            lock.unlock();
        }
        if (left > 0) LOG.log(Level.WARNING, "event publisher closed with " + left + " events unsent");
        sender.interrupt();
        client.close();
    }

    private void sendLoop() {
        try {
            Outgoing next;
            while ((next = take()) != null) {
                try {
                    deliver(next);
                } catch (RuntimeException e) {
                    // A bug must not silence every later event: drop this one and go on.
                    LOG.log(Level.ERROR, "forward event topic=" + next.topic() + ": " + e, e);
                } finally {
                    done();
                }
            }
        } catch (InterruptedException e) {
            LOG.log(Level.DEBUG, "event publisher stopped");
        }
    }

    /** The next event, or null once closed and empty. */
    private Outgoing take() throws InterruptedException {
        lock.lock();
        try {
            while (queue.isEmpty() && !closed) changed.await();
            Outgoing next = queue.pollFirst();
            sending = next != null;
            return next;
        } finally {
            lock.unlock();
        }
    }

    private void done() {
        lock.lock();
        try {
            sending = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Sends one event, retrying in place so that no later event overtakes it. */
    private void deliver(Outgoing event) throws InterruptedException {
        Map<String, String> metadata = Map.of(CallContext.NAMESPACE_KEY, event.namespace());
        for (int attempt = 1; ; attempt++) {
            try {
                client.call(SERVICE, METHOD, event.request(), metadata, policy.forwardTimeout());
                return;
            } catch (TtrpcException e) {
                if (Thread.currentThread().isInterrupted()) throw new InterruptedException();
                if (isPermanent(e)) {
                    LOG.log(Level.ERROR, "forward event topic=" + event.topic() + ": " + e + ": dropping it");
                    return;
                }
                if (attempt > policy.maxRetries()) {
                    LOG.log(Level.ERROR, "evicting " + event.topic() + " from queue because of retry count: " + e);
                    return;
                }
                Duration backoff = policy.retryBackoff().multipliedBy(attempt);
                LOG.log(Level.WARNING, "forward event topic=" + event.topic() + ": " + e + ": retry " + attempt
                        + " in " + backoff.toMillis() + " ms");
                TimeUnit.NANOSECONDS.sleep(backoff.toNanos());
            }
        }
    }

    /**
     * containerd refuses an envelope it finds invalid the same way every time; retrying would only hold back every
     * event behind it. containerd's shim retries these too, but its retries do not block the queue.
     */
    private static boolean isPermanent(TtrpcException e) {
        return e.code() == Code.INVALID_ARGUMENT || e.code() == Code.UNIMPLEMENTED;
    }
}
