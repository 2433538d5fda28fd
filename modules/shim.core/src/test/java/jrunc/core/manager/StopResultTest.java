package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Timestamp;
import java.time.Instant;
import java.util.List;
import jrunc.proto.task.DeleteResponse;
import org.junit.jupiter.api.Test;

class StopResultTest {
    @Test
    void deleteResponseIsWhatTheGeneratedMessageEncodes() throws Exception {
        int[] pids = {0, 1, 127, 128, 4242, 4194304, Integer.MAX_VALUE};
        int[] statuses = {0, 1, 137, 255};
        Instant[] times = {Instant.EPOCH, Instant.ofEpochSecond(0, 1), Instant.ofEpochSecond(1),
                Instant.parse("2026-12-01T15:42:54.626930123Z"), Instant.ofEpochSecond(253402300799L, 999_999_999)};
        for (int pid : pids) {
            for (int status : statuses) {
                for (Instant at : times) {
                    byte[] ours = new StopResult(pid, status, at, List.of()).deleteResponse();
                    DeleteResponse generated = DeleteResponse.newBuilder().setPid(pid).setExitStatus(status)
                            .setExitedAt(Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()))
                            .build();
                    assertArrayEquals(generated.toByteArray(), ours, pid + " " + status + " " + at);
                    DeleteResponse parsed = DeleteResponse.parseFrom(ours);
                    assertEquals(pid, parsed.getPid());
                    assertEquals(status, parsed.getExitStatus());
                    assertEquals(at.getEpochSecond(), parsed.getExitedAt().getSeconds());
                    assertEquals(at.getNano(), parsed.getExitedAt().getNanos());
                }
            }
        }
    }
}
