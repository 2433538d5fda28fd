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
    void closeGivesUpWhenContainerdStaysAway() {
        publisher = publisher(new RemoteEventPublisher.Policy(1024, Duration.ofSeconds(5), Duration.ofMillis(5), 1000));
        publisher.publish("default", Topics.TASK_EXIT, exit("c1"));
        publisher.close(Duration.ofMillis(50)); // returns: the test's timeout would catch a hang
    }
}
