package jrunc.core.ttrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import jrunc.proto.ttrpc.KeyValue;
import jrunc.proto.ttrpc.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edges of the ttrpc codec, server and client: deadlines at the far end of the clock, the limits exactly at
 * the limit, an interrupted caller, a server that answers with an oversized frame, the server's own threads, and
 * the words errors carry.
 */
@Timeout(30)
class TtrpcEdgesTest {
    private static final String SERVICE = "test.v1.Edges";
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private final List<CallContext> contexts = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final ServiceRegistry registry = new ServiceRegistry()
            .register(SERVICE, "Context", (ctx, payload) -> {
                contexts.add(ctx);
                return new byte[0];
            })
            .register(SERVICE, "Block", (ctx, payload) -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new byte[0];
            });
    private TtrpcServer server;
    private Path socket;

    @AfterEach
    void stop() {
        release.countDown();
        if (server != null) server.close();
    }

    private TtrpcServer start() throws IOException {
        socket = dir.resolve("edges.sock");
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
        server = new TtrpcServer(listener, registry, peer -> true).start();
        return server;
    }

    // --- the server ---------------------------------------------------------------------------------------------

    @Test
    void aDeadlineBeyondTheClockSaturatesInsteadOfWrappingIntoThePast() throws Exception {
        start();
        long before = System.nanoTime();
        try (RawPeer peer = new RawPeer(socket)) {
            peer.send(1, RawPeer.request(SERVICE, "Context", new byte[0]).toBuilder().setTimeoutNano(Long.MAX_VALUE).build());
            peer.response(1);
            peer.send(3, RawPeer.request(SERVICE, "Context", new byte[0]).toBuilder()
                    .setTimeoutNano(TimeUnit.HOURS.toNanos(1)).build());
            peer.response(3);
        }
        long after = System.nanoTime();
        assertEquals(Long.MAX_VALUE, contexts.get(0).deadlineNanos(), "a deadline past the end of the clock is none");
        long hour = contexts.get(1).deadlineNanos();
        assertTrue(hour - (before + TimeUnit.HOURS.toNanos(1)) >= 0 && (after + TimeUnit.HOURS.toNanos(1)) - hour >= 0,
                "an hour from the call, not " + hour);
    }

    @Test
    void aHandlerCannotChangeTheMetadataItIsGiven() throws Exception {
        start();
        try (RawPeer peer = new RawPeer(socket)) {
            peer.send(1, RawPeer.request(SERVICE, "Context", new byte[0]).toBuilder()
                    .addMetadata(KeyValue.newBuilder().setKey("k").setValue("v")).build());
            peer.response(1);
        }
        Map<String, List<String>> metadata = contexts.getFirst().metadata();
        assertEquals(Map.of("k", List.of("v")), metadata);
        assertThrows(UnsupportedOperationException.class, () -> metadata.get("k").add("w"));
        assertThrows(UnsupportedOperationException.class, () -> metadata.put("x", List.of()));
    }

    @Test
    void closingAServerThatNeverStartedReleasesItsSocket() throws Exception {
        socket = dir.resolve("never.sock");
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
        new TtrpcServer(listener, registry, peer -> true).close();
        assertFalse(listener.isOpen());
        assertThrows(IOException.class, () -> SocketChannel.open(UnixDomainSocketAddress.of(socket)));
    }

    @Test
    void theServersThreadsAreListedWhileTheyRunForAThreadDump() throws Exception {
        start();
        try (RawPeer peer = new RawPeer(socket)) {
            peer.send(1, RawPeer.request(SERVICE, "Block", new byte[0]));
            Polling.await(() -> names(server).containsAll(List.of("ttrpc-accept", "ttrpc-connection-1", "ttrpc-handler")),
                    WAIT, "the accept loop, the connection and the handler in " + names(server));
            release.countDown();
            peer.response(1);
        }
        server.close();
        Polling.await(() -> server.threads().isEmpty(), WAIT, "no thread left after close");
    }

    private static List<String> names(TtrpcServer server) {
        return server.threads().stream().map(Thread::getName).toList();
    }

    // --- the client ---------------------------------------------------------------------------------------------

    @Test
    void aTimeoutOfNothingIsRefusedAndTheShortestOneIsAccepted() throws Exception {
        start();
        try (TtrpcClient client = new TtrpcClient(socket)) {
            for (Duration bad : List.of(Duration.ZERO, Duration.ofNanos(-1))) {
                assertThrows(IllegalArgumentException.class, () -> client.call(SERVICE, "Context", new byte[0], Map.of(), bad));
            }
            TtrpcException e = assertThrows(TtrpcException.class,
                    () -> client.call(SERVICE, "Block", new byte[0], Map.of(), Duration.ofNanos(1)));
            assertEquals(Code.DEADLINE_EXCEEDED, e.code());
        }
    }

    @Test
    void aTimeoutBeyondTheClockIsSentAsTheLongestOne() throws Exception {
        start();
        try (TtrpcClient client = new TtrpcClient(socket)) {
            client.call(SERVICE, "Context", new byte[0], Map.of(), Duration.ofSeconds(Long.MAX_VALUE));
        }
        assertEquals(Long.MAX_VALUE, contexts.getFirst().deadlineNanos());
    }

    @Test
    void anInterruptedCallerIsCancelledAndKeepsItsInterrupt() throws Exception {
        start();
        try (TtrpcClient client = new TtrpcClient(socket)) {
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread caller = Thread.ofVirtual().start(() -> {
                try {
                    client.call(SERVICE, "Block", new byte[0], Map.of(), null);
                    outcome.set("answered");
                } catch (TtrpcException e) {
                    outcome.set(e.code() + " " + e.getMessage() + " interrupted=" + Thread.currentThread().isInterrupted());
                }
            });
            Polling.await(() -> server.threads().stream().anyMatch(t -> t.getName().equals("ttrpc-handler")), WAIT, "the call");
            caller.interrupt();
            caller.join(WAIT);
            assertEquals("CANCELLED context canceled interrupted=true", outcome.get());
        }
    }

    @Test
    void aClientWithADialTimeoutConnectsAndNamesTheSocketItCannotReach() throws Exception {
        start();
        try (TtrpcClient client = new TtrpcClient(socket, Duration.ofSeconds(5))) {
            client.call(SERVICE, "Context", new byte[0], Map.of(), WAIT);
        }
        Path missing = dir.resolve("missing.sock");
        try (TtrpcClient client = new TtrpcClient(missing, Duration.ofSeconds(5))) {
            TtrpcException e = assertThrows(TtrpcException.class,
                    () -> client.call(SERVICE, "Context", new byte[0], Map.of(), WAIT));
            assertEquals(Code.UNAVAILABLE, e.code());
            assertTrue(e.getMessage().startsWith("dial " + missing + ": "), e.getMessage());
        }
    }

    @Test
    void anOversizedResponseFailsItsCallAndTheConnectionGoesOn() throws Exception {
        socket = dir.resolve("oversized.sock");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             TtrpcClient client = new TtrpcClient(socket)) {
            listener.bind(UnixDomainSocketAddress.of(socket));
            Thread peer = Thread.ofVirtual().start(() -> {
                try (SocketChannel ch = listener.accept()) {
                    FrameReader in = new FrameReader(ch);
                    int first = in.read().header().streamId();
                    long length = FrameHeader.MAX_MESSAGE_LENGTH + 1L;
                    ByteBuffer header = ByteBuffer.allocate(FrameHeader.SIZE);
                    FrameHeader.of(length, first, FrameHeader.TYPE_RESPONSE).writeTo(header);
                    ch.write(header.flip());
                    ByteBuffer zeros = ByteBuffer.allocate((int) length);
                    while (zeros.hasRemaining()) ch.write(zeros);
                    int second = in.read().header().streamId();
                    new FrameWriter(ch).write(second, FrameHeader.TYPE_RESPONSE, Response.newBuilder()
                            .setStatus(Statuses.of(Code.OK, "")).build().toByteArray());
                    in.read(); // until the client hangs up
                } catch (IOException e) {
                    // the client closed
                }
            });
            TtrpcException e = assertThrows(TtrpcException.class,
                    () -> client.call(SERVICE, "Context", new byte[0], Map.of(), WAIT));
            assertEquals(Code.RESOURCE_EXHAUSTED, e.code());
            assertEquals("message length 4194305 exceed maximum message size of 4194304", e.getMessage());
            client.call(SERVICE, "Context", new byte[0], Map.of(), WAIT);
            client.close();
            peer.join(WAIT);
        }
    }

    // --- the codec and the words --------------------------------------------------------------------------------

    @Test
    void aHeaderIsReadOnlyFromABigEndianBuffer() {
        ByteBuffer little = ByteBuffer.allocate(FrameHeader.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        assertThrows(IllegalArgumentException.class, () -> FrameHeader.readFrom(little));
    }

    @Test
    void aHeaderNamesItsStreamUnsigned() {
        assertEquals("FrameHeader[length=5, streamId=4294967295, type=2, flags=0]",
                FrameHeader.of(5, -1, FrameHeader.TYPE_RESPONSE).toString());
    }

    @Test
    void theWriterTakesAPayloadExactlyAtTheLimitAndNotOneByteMore() throws IOException {
        java.io.ByteArrayOutputStream sink = new java.io.ByteArrayOutputStream();
        FrameWriter writer = new FrameWriter(Channels.newChannel(sink));
        writer.write(1, FrameHeader.TYPE_REQUEST, new byte[FrameHeader.MAX_MESSAGE_LENGTH]);
        assertEquals(FrameHeader.SIZE + FrameHeader.MAX_MESSAGE_LENGTH, sink.size());
        assertThrows(IllegalArgumentException.class,
                () -> writer.write(3, FrameHeader.TYPE_REQUEST, new byte[FrameHeader.MAX_MESSAGE_LENGTH + 1]));
    }

    @Test
    void codesOutsideTheTableAreUnknown() {
        assertEquals(Code.NOT_FOUND, Code.of(5));
        assertEquals(Code.UNKNOWN, Code.of(99));
        assertEquals(Code.UNKNOWN, Code.of(-1));
    }

    @Test
    void aFailureReadsAsItsCodeAndMessage() {
        assertEquals("NOT_FOUND: process already finished",
                new TtrpcException(Code.NOT_FOUND, "process already finished").toString());
    }

    @Test
    void plainIoErrorsAnywhereInTheCausesGetTheirOwnCode() {
        assertEquals(Code.ALREADY_EXISTS.value(), Statuses.fromThrowable(new IllegalStateException("wrapped",
                new IOException(new FileAlreadyExistsException("/x")))).getCode());
        assertEquals(Code.PERMISSION_DENIED.value(), Statuses.fromThrowable(new AccessDeniedException("/x")).getCode());
        assertEquals(Code.OUT_OF_RANGE.value(), Statuses.fromThrowable(new EOFException()).getCode());
        // a cause chain that loops on itself ends
        RuntimeException loop = new RuntimeException("loops") {
            @Override
            public synchronized Throwable getCause() {
                return this;
            }
        };
        assertEquals(Code.UNKNOWN.value(), Statuses.fromThrowable(loop).getCode());
        assertEquals("loops", Statuses.fromThrowable(loop).getMessage());
    }

    @Test
    void anEnvelopeWithATimeoutIsSentAsTheServerReadsIt() throws Exception {
        start();
        try (TtrpcClient client = new TtrpcClient(socket)) {
            client.call(SERVICE, "Context", new byte[0], Map.of(CallContext.NAMESPACE_KEY, "k8s.io"), Duration.ofSeconds(30));
        }
        assertEquals("k8s.io", contexts.getFirst().namespace());
        assertTrue(contexts.getFirst().deadlineNanos() - System.nanoTime() <= TimeUnit.SECONDS.toNanos(30));
    }
}
