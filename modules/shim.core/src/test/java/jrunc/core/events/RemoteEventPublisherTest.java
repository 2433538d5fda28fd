package jrunc.core.events;

import static jrunc.core.ttrpc.Polling.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.protobuf.Any;
import com.google.protobuf.Timestamp;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import jrunc.core.ttrpc.Code;
import jrunc.core.ttrpc.TtrpcClient;
import jrunc.proto.eventsapi.Envelope;
import jrunc.proto.events.TaskExit;
import jrunc.proto.events.TaskStart;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class RemoteEventPublisherTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Instant NOW = Instant.parse("2023-03-30T13:29:21.123456789Z");
    /** containerd's figures, with milliseconds instead of seconds of backoff. */
    private static final RemoteEventPublisher.Policy FAST =
            new RemoteEventPublisher.Policy(1024, Duration.ofSeconds(5), Duration.ofMillis(5), 5);

    @TempDir
    Path dir;

    private FakeContainerd containerd;
    private RemoteEventPublisher publisher;

    @AfterEach
    void stop() {
        if (publisher != null) publisher.close(Duration.ZERO);
        if (containerd != null) containerd.close();
    }

    private Path socket() {
        return dir.resolve("containerd.sock.ttrpc");
    }

    private RemoteEventPublisher publisher(RemoteEventPublisher.Policy policy) {
        return new RemoteEventPublisher(new TtrpcClient(socket()), Clock.fixed(NOW, ZoneOffset.UTC), policy);
    }

    private static TaskStart start(String id) {
        return TaskStart.newBuilder().setContainerId(id).setPid(42).build();
    }

    private static TaskExit exit(String id) {
        return TaskExit.newBuilder().setContainerId(id).setId(id).setPid(42).setExitStatus(137).build();
    }

    @Test
    void forwardCarriesTimestampNamespaceTopicAndBareTypeUrl() throws Exception {
        containerd = new FakeContainerd(socket());
        publisher = publisher(FAST);
        publisher.publish("k8s.io", Topics.TASK_EXIT, exit("c1"));
        await(() -> containerd.forwarded.size() == 1, WAIT, "the event");

        FakeContainerd.Forwarded forwarded = containerd.forwarded.getFirst();
        assertEquals("k8s.io", forwarded.namespaceMetadata());
        Envelope envelope = forwarded.request().getEnvelope();
        assertEquals(Timestamp.newBuilder().setSeconds(NOW.getEpochSecond()).setNanos(NOW.getNano()).build(),
                envelope.getTimestamp());
        assertEquals("k8s.io", envelope.getNamespace());
        assertEquals("/tasks/exit", envelope.getTopic());
        Any event = envelope.getEvent();
        assertEquals("containerd.events.TaskExit", event.getTypeUrl());
        assertEquals(exit("c1"), BareAny.unpack(event, TaskExit.getDefaultInstance()));
    }

    @Test
    void failedEventIsRetriedBeforeAnyLaterEventIsSent() throws Exception {
        containerd = new FakeContainerd(socket(), 3, Code.UNAVAILABLE, new CountDownLatch(0));
        publisher = publisher(FAST);
        publisher.publish("default", Topics.TASK_START, start("c1"));
        publisher.publish("default", Topics.TASK_EXIT, exit("c1"));
        publisher.publish("default", Topics.TASK_DELETE, exit("c1"));
        await(() -> containerd.forwarded.size() == 3, WAIT, "three events");
        assertEquals(List.of("/tasks/start", "/tasks/exit", "/tasks/delete"), containerd.topics());
        assertEquals(6, containerd.calls.get());
    }

    @Test
    void eventIsDroppedAfterItsRetriesAndTheNextOneStillGoesOut() throws Exception {
        RemoteEventPublisher.Policy twoRetries =
                new RemoteEventPublisher.Policy(1024, Duration.ofSeconds(5), Duration.ofMillis(5), 2);
        containerd = new FakeContainerd(socket(), 3, Code.UNKNOWN, new CountDownLatch(0));
        publisher = publisher(twoRetries);
        publisher.publish("default", Topics.TASK_START, start("c1"));
        publisher.publish("default", Topics.TASK_EXIT, exit("c1"));
        await(() -> containerd.forwarded.size() == 1, WAIT, "the second event");
        assertEquals(List.of("/tasks/exit"), containerd.topics());
        assertEquals(4, containerd.calls.get());
    }

    @Test
    void invalidEventIsNotRetried() throws Exception {
        containerd = new FakeContainerd(socket(), 1, Code.INVALID_ARGUMENT, new CountDownLatch(0));
        publisher = publisher(FAST);
        publisher.publish("default", Topics.TASK_START, start("c1"));
        publisher.publish("default", Topics.TASK_EXIT, exit("c1"));
        await(() -> containerd.forwarded.size() == 1, WAIT, "the second event");
        assertEquals(List.of("/tasks/exit"), containerd.topics());
        assertEquals(2, containerd.calls.get());
    }

    @Test
    void eventsPublishedWhileContainerdIsDownArriveWhenItComesBack() throws Exception {
        RemoteEventPublisher.Policy patient =
                new RemoteEventPublisher.Policy(1024, Duration.ofSeconds(5), Duration.ofMillis(2), 1000);
        containerd = new FakeContainerd(socket());
        publisher = publisher(patient);
        publisher.publish("default", Topics.TASK_CREATE, start("c1"));
        await(() -> containerd.forwarded.size() == 1, WAIT, "the first event");

        containerd.close(); // containerd restarts
        publisher.publish("default", Topics.TASK_START, start("c1"));
        publisher.publish("default", Topics.TASK_EXIT, exit("c1"));
        containerd = new FakeContainerd(socket());
        await(() -> containerd.forwarded.size() == 2, WAIT, "the events sent while away");
        assertEquals(List.of("/tasks/start", "/tasks/exit"), containerd.topics());
    }

    @Test
    void fullQueueDropsTheOldestEventWithoutBlockingThePublisher() throws Exception {
        CountDownLatch stall = new CountDownLatch(1);
        containerd = new FakeContainerd(socket(), 0, Code.OK, stall);
        publisher = publisher(new RemoteEventPublisher.Policy(2, Duration.ofSeconds(20), Duration.ofMillis(5), 5));
        publisher.publish("default", "/tasks/e0", start("c0"));
        // e0 is taken by the sender and stalls in Forward; the queue then holds two events at most.
        await(() -> containerd.entered.get() == 1, WAIT, "the sender to take e0");
        for (int i = 1; i <= 4; i++) publisher.publish("default", "/tasks/e" + i, start("c" + i));
        stall.countDown();
        await(() -> containerd.forwarded.size() == 3, WAIT, "three events");
        assertEquals(List.of("/tasks/e0", "/tasks/e3", "/tasks/e4"), containerd.topics());
    }

    @Test
    void closeWaitsForTheQueueToDrain() throws Exception {
        containerd = new FakeContainerd(socket(), 2, Code.UNAVAILABLE, new CountDownLatch(0));
        publisher = publisher(FAST);
        for (int i = 0; i < 20; i++) publisher.publish("default", "/tasks/e" + i, start("c" + i));
        publisher.close(WAIT);
        assertEquals(20, containerd.forwarded.size());
        publisher.publish("default", Topics.TASK_EXIT, exit("after close"));
        assertFalse(containerd.topics().contains(Topics.TASK_EXIT));
    }

    @Test
    void closeGivesUpWhenContainerdStaysAwayAndTheEventIsNotSentWhenItComesBack() throws Exception {
        // retries every few ms for ever: only close can stop it
        publisher = publisher(new RemoteEventPublisher.Policy(1024, Duration.ofSeconds(5), Duration.ofMillis(1), 1_000_000));
        publisher.publish("default", Topics.TASK_EXIT, exit("c1"));
        publisher.close(Duration.ofMillis(50)); // returns although nothing ever answered (a hang fails on the timeout)

        containerd = new FakeContainerd(socket());
        awaitMarker();
        assertEquals(List.of("/tasks/marker"), containerd.topics(), "the event given up on is not sent after close");
    }

    @Test
    void closeDoesNotWaitForAForwardThatContainerdNeverAnswers() throws Exception {
        CountDownLatch stall = new CountDownLatch(1);
        containerd = new FakeContainerd(socket(), 0, Code.OK, stall);
        // a Forward deadline far beyond the test's timeout: a close that waited for it would never return in time
        publisher = publisher(new RemoteEventPublisher.Policy(1024, Duration.ofMinutes(10), Duration.ofMillis(1), 5));
        publisher.publish("default", Topics.TASK_EXIT, exit("c1"));
        await(() -> containerd.entered.get() == 1, WAIT, "the Forward to reach containerd");

        publisher.close(Duration.ofMillis(50));
        stall.countDown();
        awaitMarker();
        assertEquals(2, containerd.entered.get(), "the abandoned Forward is not retried after close");
    }

    /**
     * A second publisher's event arrives: what the closed one still held would have gone out before it, or soon
     * after, were its sender still running.
     */
    private void awaitMarker() throws InterruptedException {
        RemoteEventPublisher marker = publisher(FAST);
        try {
            marker.publish("default", "/tasks/marker", start("m"));
            await(() -> containerd.topics().contains("/tasks/marker"), WAIT, "the marker");
        } finally {
            marker.close(WAIT);
        }
    }
}
