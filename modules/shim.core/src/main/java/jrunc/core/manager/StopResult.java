package jrunc.core.manager;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;

/**
 * What the Stop path (the shim's {@code delete} action) found and did.
 *
 * @param pid        init pid read from {@code init.pid}, 0 when the file is missing or unreadable
 * @param exitStatus always 137 (128 + SIGKILL), as containerd-shim-runc-v2 answers
 * @param exitedAt   when the stop finished
 * @param steps      each step taken, with its outcome, in order (for logs and shim-doctor's report)
 */
public record StopResult(int pid, int exitStatus, Instant exitedAt, List<Step> steps) {
    public StopResult {
        steps = List.copyOf(steps);
    }

    /** One step of the Stop path: {@code ok} false means it failed and the next step ran anyway. */
    public record Step(String action, String target, boolean ok, String detail) {}

    public List<String> warnings() {
        return steps.stream().filter(s -> !s.ok()).map(s -> s.action() + " " + s.target() + ": " + s.detail()).toList();
    }

    /**
     * This result as the bytes of containerd's {@code DeleteResponse}, what {@code delete} prints (containerd v1.6.20
     * api/runtime/task/v2/shim.proto: {@code pid = 1}, {@code exit_status = 2}, {@code exited_at = 3}, a
     * {@code google.protobuf.Timestamp} of {@code seconds = 1}, {@code nanos = 2}), encoded field by field. The
     * generated message classes would cost every {@code delete} their static initialisation: each checks the
     * protobuf runtime's version, which formats a version string and so initialises the locale data, about 8 ms.
     * Equal, byte for byte, to what the generated {@code DeleteResponse} encodes ({@code StopResultTest}).
     */
    public byte[] deleteResponse() {
        long seconds = exitedAt.getEpochSecond();
        int nanos = exitedAt.getNano();
        int timestamp = (seconds != 0 ? CodedOutputStream.computeInt64Size(1, seconds) : 0)
                + (nanos != 0 ? CodedOutputStream.computeInt32Size(2, nanos) : 0);
        int size = (pid != 0 ? CodedOutputStream.computeUInt32Size(1, pid) : 0)
                + (exitStatus != 0 ? CodedOutputStream.computeUInt32Size(2, exitStatus) : 0)
                + CodedOutputStream.computeTagSize(3) + CodedOutputStream.computeUInt32SizeNoTag(timestamp) + timestamp;
        byte[] bytes = new byte[size];
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        try {
            if (pid != 0) out.writeUInt32(1, pid);
            if (exitStatus != 0) out.writeUInt32(2, exitStatus);
            out.writeTag(3, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            out.writeUInt32NoTag(timestamp);
            if (seconds != 0) out.writeInt64(1, seconds);
            if (nanos != 0) out.writeInt32(2, nanos);
            out.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new UncheckedIOException("encoding a DeleteResponse into an array of its exact size", e);
        }
        return bytes;
    }
}
