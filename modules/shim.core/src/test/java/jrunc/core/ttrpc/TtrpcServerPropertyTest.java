package jrunc.core.ttrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import jrunc.core.ttrpc.ServerModel.Answer;
import jrunc.proto.ttrpc.KeyValue;
import jrunc.proto.ttrpc.Request;
import jrunc.proto.ttrpc.Response;
import java.util.stream.Stream;
import jrunc.core.fake.Gen;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ttrpc server over random traffic on one connection: calls with random envelopes (services, methods,
 * metadata, deadlines, payloads), envelopes that do not decode or decode into something unexpected, frames of
 * other types, odd, even, reused and huge stream ids, oversized frames, and handlers that fail with any exception
 * or error. Whatever is sent:
 * <ul>
 *   <li>every stream that can be answered gets exactly one answer, with the status {@link ServerModel} works out
 *       (ttrpc v1.1.1 server.go, serverConn.run, with v1.2's rising ids), and nothing else is sent;</li>
 *   <li>the connection survives all of it, as ttrpc-go's does (only a cut frame or a failed socket ends one): an
 *       oversized frame fails its own stream only;</li>
 *   <li>no thread of the server dies of an uncaught exception, and a second connection is served afterwards.</li>
 * </ul>
 */
@Timeout(60)
class TtrpcServerPropertyTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final List<Throwable> UNCAUGHT = new CopyOnWriteArrayList<>();
    private static Thread.UncaughtExceptionHandler previousHandler;

    @TempDir
    Path dir;
    private CountDownLatch release;
    private TtrpcServer server;
    private Path socket;

    static Stream<Long> seeds() {
        return Gen.seeds(0x77_0000L, 150);
    }

    @BeforeAll
    static void watchUncaught() {
        previousHandler = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> UNCAUGHT.add(e));
    }

    @AfterAll
    static void restore() {
        Thread.setDefaultUncaughtExceptionHandler(previousHandler);
    }

    @BeforeEach
    void startServer() throws IOException {
        release = new CountDownLatch(1);
        socket = dir.resolve("ttrpc.sock");
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
        server = new TtrpcServer(listener, ServerModel.registry(release), peer -> true).start();
        UNCAUGHT.clear();
    }

    @AfterEach
    void stopServer() throws IOException {
        release.countDown();
        server.close();
        Files.deleteIfExists(socket);
    }

    // --- what the client sends ------------------------------------------------------------------------------

    /** How a step picks its stream id from the highest one the server has accepted. */
    enum How { NEXT, JUMP, EVEN, REUSED, HUGE }

    /** A way to pick, and how far from the obvious id. */
    record Id(How how, int jump) {
        static final Id NEXT = new Id(How.NEXT, 0);
    }

    sealed interface Step permits Call, RawRequest, OtherType, Oversized {
        Id id();
    }

    record Call(Id id, Request request) implements Step {}

    /** A Request frame whose payload is anything: garbage, or a real envelope with a byte changed, cut or added. */
    record RawRequest(Id id, byte[] payload) implements Step {
        @Override
        public String toString() {
            return "RawRequest[" + id + ", " + Arrays.toString(payload) + "]";
        }
    }

    record OtherType(Id id, byte type, byte[] payload) implements Step {}

    record Oversized(Id id, byte type, long length) implements Step {}

    static List<Step> traffic(Gen g) {
        return g.list(25, () -> {
            Id id = new Id(How.values()[g.weighted(8, 2, 1, 1, 1)], g.between(0, 50_000));
            return switch (g.weighted(10, 2, 3, 2, 1)) {
                case 0 -> new Call(id, request(g));
                case 1 -> new RawRequest(id, g.bytes(200));
                case 2 -> new RawRequest(id, mangle(request(g).toByteArray(), g.between(0, 400), g.anyByte(), g.between(0, 3)));
                case 3 -> new OtherType(id, (byte) (FrameHeader.TYPE_REQUEST + g.between(1, 255)), g.bytes(64));
                default -> new Oversized(id, g.anyByte(),
                        g.between(FrameHeader.MAX_MESSAGE_LENGTH + 1L, FrameHeader.MAX_MESSAGE_LENGTH + 40_000L));
            };
        });
    }

    private static Request request(Gen g) {
        String service = switch (g.weighted(8, 1, 1)) {
            case 0 -> ServerModel.SERVICE;
            case 1 -> g.utf8(20);
            default -> g.pick("containerd.task.v2.Task", "test.v1.fuzz", "");
        };
        String method = g.oneIn(9) ? g.utf8(12) : g.pick(ServerModel.METHODS);
        List<KeyValue> metadata = g.list(4, () -> KeyValue.newBuilder()
                .setKey(g.bool() ? g.pick(CallContext.NAMESPACE_KEY, "x-repeat") : g.utf8(8)).setValue(g.utf8(12)).build());
        long timeout = switch (g.weighted(4, 1, 1)) {
            case 0 -> 0;
            case 1 -> g.between(Long.MIN_VALUE, -1);
            default -> g.between(Duration.ofHours(1).toNanos(), Long.MAX_VALUE);
        };
        // a blocked call is answered only by its deadline, so it always has a short one
        if (method.equals("Block")) timeout = g.between(1, 5_000_000L);
        return Request.newBuilder().setService(service).setMethod(method).setPayload(ByteString.copyFrom(g.bytes(300)))
                .addAllMetadata(metadata).setTimeoutNano(timeout).build();
    }

    /** A real envelope with one byte set, cut off, inserted or with a bit flipped at {@code at}. */
    private static byte[] mangle(byte[] envelope, int at, byte value, int how) {
        if (envelope.length == 0) return new byte[] {value};
        int i = at % envelope.length;
        byte[] b = envelope.clone();
        switch (how) {
            case 0 -> b[i] = value;
            case 1 -> b = Arrays.copyOf(envelope, i);
            case 2 -> {
                b = new byte[envelope.length + 1];
                System.arraycopy(envelope, 0, b, 0, i);
                b[i] = value;
                System.arraycopy(envelope, i, b, i + 1, envelope.length - i);
            }
            default -> b[i] ^= (byte) (1 << (value & 7));
        }
        return b;
    }

    // --- the property ---------------------------------------------------------------------------------------

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyAnswerableStreamGetsExactlyItsStatusAndTheConnectionSurvives(long seed) throws Exception {
        List<Step> traffic = traffic(new Gen(seed));
        ServerModel model = new ServerModel();
        List<Answer> expected = new ArrayList<>();
        try (RawPeer peer = new RawPeer(socket); Collector answers = new Collector(peer)) {
            for (Step step : traffic) {
                Answer answer = send(peer, model, step);
                if (answer != null) expected.add(answer);
            }
            // the connection still serves a call on a fresh stream, if the ids leave room for one
            if (model.lastStreamId() + 2 <= 0xFFFF_FFFFL) {
                Request echo = RawPeer.request(ServerModel.SERVICE, "Echo", "still here".getBytes());
                expected.add(send(peer, model, new Call(Id.NEXT, echo)));
            }
            answers.awaitCount(expected.size(), expected);
            // and nothing more comes: on our EOF the server closes, with no answer left to give
            peer.channel.shutdownOutput();
            answers.awaitEnd();
            assertEquals(sorted(expected), sorted(answers.received()), "the answers");
        }
        try (RawPeer other = new RawPeer(socket)) {
            other.send(1, RawPeer.request(ServerModel.SERVICE, "Echo", "another".getBytes()));
            assertEquals(Code.OK.value(), other.response(1).getStatus().getCode(), "a second connection is served");
        }
        assertEquals(List.of(), UNCAUGHT, "uncaught exceptions in the server's threads");
    }

    private static Answer send(RawPeer peer, ServerModel model, Step step) throws IOException {
        long id = streamId(model.lastStreamId(), step.id());
        int wireId = (int) id;
        return switch (step) {
            case Call c -> {
                byte[] envelope = c.request().toByteArray();
                peer.send(wireId, FrameHeader.TYPE_REQUEST, envelope);
                yield model.request(id, envelope);
            }
            case RawRequest r -> {
                peer.send(wireId, FrameHeader.TYPE_REQUEST, r.payload());
                yield model.request(id, r.payload());
            }
            case OtherType o -> {
                peer.send(wireId, o.type(), o.payload());
                yield null; // a unary server ignores it
            }
            case Oversized o -> {
                peer.sendBytes(Wire.header(o.length(), wireId, o.type(), (byte) 0));
                ByteBuffer zeros = ByteBuffer.allocate(64 * 1024);
                for (long left = o.length(); left > 0; left -= zeros.capacity()) {
                    zeros.clear().limit((int) Math.min(left, zeros.capacity()));
                    while (zeros.hasRemaining()) peer.channel.write(zeros);
                }
                yield model.oversized(id, o.length());
            }
        };
    }

    /** The unsigned stream id a step goes out on. */
    private static long streamId(long last, Id pick) {
        long next = (last + 1) | 1; // the lowest odd id above last
        long jump = 2L * pick.jump();
        long id = switch (pick.how()) {
            case NEXT -> next;
            case JUMP -> next + jump;
            case EVEN -> (next + 1 + jump) & ~1L;
            case REUSED -> last == 0 ? 1 : Math.max(1, (last - jump) | 1);
            case HUGE -> 0xFFFF_FFFFL - jump;
        };
        return Math.min(id, 0xFFFF_FFFFL);
    }

    private static List<String> sorted(List<Answer> answers) {
        return answers.stream().map(Answer::toString).sorted().toList();
    }

    /** Reads every frame the server sends, from the moment the connection opens until the server closes it. */
    private static final class Collector implements AutoCloseable {
        private final List<Answer> received = new CopyOnWriteArrayList<>();
        private final List<String> unexpected = new CopyOnWriteArrayList<>();
        private final Thread reader;
        private volatile boolean ended;

        Collector(RawPeer peer) {
            FrameReader frames = new FrameReader(peer.channel);
            reader = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        FrameReader.Inbound in = frames.read();
                        if (!(in instanceof FrameReader.Frame f) || f.header().type() != FrameHeader.TYPE_RESPONSE) {
                            unexpected.add(in.header().toString());
                            continue;
                        }
                        Response r = Response.parseFrom(f.payload());
                        Code code = Code.of(r.getStatus().getCode());
                        received.add(new Answer(Integer.toUnsignedLong(f.header().streamId()), code,
                                code == Code.OK ? ServerModel.hex(r.getPayload()) : r.getStatus().getMessage()));
                    }
                } catch (IOException e) {
                    ended = true;
                }
            });
        }

        List<Answer> received() {
            assertEquals(List.of(), unexpected, "frames that are not Responses");
            return List.copyOf(received);
        }

        void awaitCount(int count, List<Answer> expected) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (received.size() < count && !ended && System.nanoTime() - deadline < 0) Thread.sleep(5);
            assertTrue(received.size() >= count, () -> (ended ? "the connection ended" : "no more answers within " + WAIT)
                    + ": missing " + missing(expected) + "; uncaught " + UNCAUGHT);
        }

        private List<String> missing(List<Answer> expected) {
            List<String> left = new ArrayList<>(sorted(expected));
            for (String got : sorted(received)) left.remove(got);
            return left;
        }

        void awaitEnd() {
            Polling.await(() -> ended, WAIT, "the server to close the connection");
        }

        @Override
        public void close() {
            reader.interrupt();
        }
    }
}
