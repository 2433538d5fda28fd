package jrunc.core.manager;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code start} and a warm spare daemon say to each other on the spare's rendezvous socket
 * ({@link SpareHandoff}). A few fields, written by hand (no protobuf or JSON machinery on a path that runs per
 * container). Every message is one frame ({@link jrunc.core.spi.HandoffConnection}):
 *
 * <pre>
 *   start: REQUEST  (key, task id, bundle, socket, start's stdin, containerd's pid, SCHED_CORE) + the listener fd
 *   spare: READY | REFUSED reason
 *   start: GO
 *   spare: ADOPTED | FAILED reason
 *   start: DONE     (the address is printed: start exits 0)
 * </pre>
 *
 * <p>The spare does nothing with the listener before GO, and start says GO only after READY; so a start that gave
 * up before GO (no READY in time, a refusal) spawns its daemon as without a spare, and the listener the spare may
 * still hold is never served by it. After GO, start either reads ADOPTED or makes sure the spare is dead before it
 * spawns a daemon. A spare that said ADOPTED serves only after DONE: without it, start died before containerd got
 * the address (containerd then deletes the bundle), and the spare ends instead of serving nobody.
 */
public final class SpareProtocol {
    /** start's stdin is at most {@link StartInput#MAX_BYTES}; the rest is small. */
    public static final int MAX_REQUEST = StartInput.MAX_BYTES + (1 << 20);
    /** Every answer is a byte and a line of text. */
    public static final int MAX_ANSWER = 4096;
    static final int MAGIC = 0x4a525350; // "JRSP"
    static final int VERSION = 2;

    private SpareProtocol() {}

    /** The short messages, each a frame of its kind's byte and, for REFUSED and FAILED, the reason. */
    public enum Kind {
        READY, REFUSED, GO, ADOPTED, FAILED, DONE
    }

    /** One short message. */
    public record Answer(Kind kind, String reason) {
        public static Answer of(Kind kind) {
            return new Answer(kind, "");
        }

        public byte[] encode() {
            byte[] text = reason.getBytes(StandardCharsets.UTF_8);
            int n = Math.min(text.length, MAX_ANSWER - 1);
            byte[] out = new byte[1 + n];
            out[0] = (byte) kind.ordinal();
            System.arraycopy(text, 0, out, 1, n);
            return out;
        }

        /** @throws IOException an empty frame or an unknown kind */
        public static Answer decode(byte[] frame) throws IOException {
            if (frame.length == 0 || frame[0] < 0 || frame[0] >= Kind.values().length) {
                throw new IOException("not a spare hand-off message (" + frame.length + " bytes)");
            }
            return new Answer(Kind.values()[frame[0]], new String(frame, 1, frame.length - 1, StandardCharsets.UTF_8));
        }
    }

    /**
     * What start asks of a spare.
     *
     * @param socket    the task's socket, which start bound and whose listener comes with the request
     * @param parentPid containerd's pid (start's parent), whose OOM score the daemon's follows
     * @param schedCore {@code SCHED_CORE=1} in start's environment
     */
    public record Request(SpareKey key, String id, Path bundle, Path socket, byte[] stdin, int parentPid,
                          boolean schedCore) {
        public Request {
            stdin = stdin.clone();
        }

        @Override
        public byte[] stdin() {
            return stdin.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Request r && key.equals(r.key) && id.equals(r.id) && bundle.equals(r.bundle)
                   && socket.equals(r.socket) && java.util.Arrays.equals(stdin, r.stdin) && parentPid == r.parentPid
                   && schedCore == r.schedCore;
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(key, id, bundle, socket, java.util.Arrays.hashCode(stdin), parentPid, schedCore);
        }
    }

    public static byte[] encode(Request r) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024 + r.stdin.length);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            SpareKey k = r.key();
            string(out, k.binary());
            string(out, k.image());
            string(out, k.address());
            string(out, k.namespace());
            out.writeBoolean(k.debug());
            out.writeInt(k.env().size());
            for (Map.Entry<String, String> e : k.env().entrySet()) {
                string(out, e.getKey());
                string(out, e.getValue());
            }
            string(out, r.id());
            string(out, r.bundle().toString());
            string(out, r.socket().toString());
            out.writeInt(r.stdin.length);
            out.write(r.stdin);
            out.writeInt(r.parentPid());
            out.writeBoolean(r.schedCore());
        } catch (IOException e) {
            throw new AssertionError("writing to memory", e);
        }
        return bytes.toByteArray();
    }

    /** @throws IOException a frame that is not a request of this version, or is cut short */
    public static Request decodeRequest(byte[] frame) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(frame));
        try {
            if (in.readInt() != MAGIC) throw new IOException("not a jrunc spare request");
            int version = in.readInt();
            if (version != VERSION) {
                throw new IOException("spare request version " + version + ", this spare speaks " + VERSION);
            }
            String binary = string(in), image = string(in), address = string(in), namespace = string(in);
            boolean debug = in.readBoolean();
            int entries = in.readInt();
            if (entries < 0 || entries > frame.length) throw new IOException("bad environment size " + entries);
            TreeMap<String, String> env = new TreeMap<>();
            for (int i = 0; i < entries; i++) env.put(string(in), string(in));
            String id = string(in);
            Path bundle = Path.of(string(in));
            Path socket = Path.of(string(in));
            byte[] stdin = bytes(in);
            int parentPid = in.readInt();
            boolean schedCore = in.readBoolean();
            if (in.available() != 0) throw new IOException(in.available() + " bytes after the request");
            return new Request(new SpareKey(binary, image, address, namespace, debug, env), id, bundle, socket,
                    stdin, parentPid, schedCore);
        } catch (java.nio.file.InvalidPathException e) {
            throw new IOException("a spare request with a bad path: " + e.getMessage(), e);
        }
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String string(DataInputStream in) throws IOException {
        return new String(bytes(in), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new EOFException("a field of " + n + " bytes in a frame with " + in.available() + " left");
        }
        return in.readNBytes(n);
    }
}
