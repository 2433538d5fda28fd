package jrunc.core.task;

import com.google.protobuf.Timestamp;
import java.time.Instant;

/** Instants as containerd's Go shim sends them: always present, Go's zero time for "never" (containerd v1.6.20
 * runtime/v2/runc/task/service.go). */
final class Timestamps {
    /** Go's {@code time.Time{}}: 0001-01-01T00:00:00Z. containerd 1.7+ reads a missing field as 1970 instead. */
    static final Timestamp GO_ZERO_TIME = Timestamp.newBuilder().setSeconds(-62135596800L).build();

    private Timestamps() {}

    static Timestamp of(Instant at) {
        if (at == null) return GO_ZERO_TIME;
        return Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()).build();
    }
}
