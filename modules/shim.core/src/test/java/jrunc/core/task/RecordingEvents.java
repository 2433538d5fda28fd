package jrunc.core.task;

import com.google.protobuf.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Keeps what the Task service published, in order; exits are published on another thread, so tests poll. */
final class RecordingEvents implements TaskEvents {
    record Event(String namespace, String topic, Message message) {}

    private final List<Event> events = new ArrayList<>(); // guarded by this

    @Override
    public synchronized void publish(String namespace, String topic, Message event) {
        events.add(new Event(namespace, topic, event));
        notifyAll();
    }

    synchronized List<String> topics() {
        return events.stream().map(Event::topic).toList();
    }

    synchronized List<Event> all() {
        return List.copyOf(events);
    }

    /** The last event of a topic, waiting up to 5 s for it to appear. */
    synchronized <T extends Message> T await(String topic, Class<T> type) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            for (int i = events.size() - 1; i >= 0; i--) {
                if (events.get(i).topic().equals(topic)) return type.cast(events.get(i).message());
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new AssertionError("no " + topic + " event; got " + topics());
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Waits until {@code count} events of a topic were published. */
    synchronized void awaitCount(String topic, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (events.stream().filter(e -> e.topic().equals(topic)).count() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new AssertionError("expected " + count + " " + topic + " events; got " + topics());
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
