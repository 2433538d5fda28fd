package jrunc.core.ttrpc;

import static jrunc.core.ttrpc.Polling.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jrunc.proto.ttrpc.Request;
import jrunc.proto.ttrpc.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class TtrpcClientTest {
    private static final String SERVICE = "test.v1.Echo";
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch blocked = new CountDownLatch(1);
    private final List<CallContext> contexts = new CopyOnWriteArrayList<>();
    private final ServiceRegistry registry = new ServiceRegistry()
            .register(SERVICE, "Echo", (ctx, payload) -> {
                contexts.add(ctx);
                return payload;
            })
            .register(SERVICE, "Exists", (ctx, payload) -> {
                throw new TtrpcException(Code.ALREADY_EXISTS, "id exec1: already exists");
            })
            .register(SERVICE, "Block", (ctx, payload) -> {
                blocked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return "late".getBytes(StandardCharsets.UTF_8);
            });

    private Path socket;
    private TtrpcServer server;
    private TtrpcClient client;

    @AfterEach
    void stop() {
        release.countDown();
        if (client != null) client.close();
        if (server != null) server.close();
    }

    private void startServer() throws IOException {
        socket = dir.resolve("containerd.sock.ttrpc");
        Files.deleteIfExists(socket);
        server = new TtrpcServer(bind(socket), registry, peer -> true).start();
    }

    private static ServerSocketChannel bind(Path socket) throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
        return listener;
    }

    private byte[] echo(String text) throws TtrpcException {
        return client.call(SERVICE, "Echo", text.getBytes(StandardCharsets.UTF_8), Map.of(), Duration.ofSeconds(10));
    }

    @Test
    void callReturnsTheResponsePayloadAndSendsMetadataAndTimeout() throws Exception {
        startServer();
        client = new TtrpcClient(socket);
        byte[] answer = client.call(SERVICE, "Echo", "ping".getBytes(), Map.of(CallContext.NAMESPACE_KEY, "default"),
                Duration.ofSeconds(5));
        assertArrayEquals("ping".getBytes(), answer);
        assertEquals("default", contexts.getFirst().namespace());
        assertTrue(contexts.getFirst().deadlineNanos() != Long.MAX_VALUE);
    }

    @Test
    void serverStatusIsThrownWithItsCode() throws Exception {
        startServer();
        client = new TtrpcClient(socket);
        TtrpcException e = assertThrows(TtrpcException.class,
                () -> client.call(SERVICE, "Exists", new byte[0], Map.of(), null));
        assertEquals(Code.ALREADY_EXISTS, e.code());
        assertEquals("id exec1: already exists", e.getMessage());
        e = assertThrows(TtrpcException.class, () -> client.call(SERVICE, "Nope", new byte[0], Map.of(), null));
        assertEquals(Code.UNIMPLEMENTED, e.code());
        assertEquals("method Nope", e.getMessage());
    }

    @Test
    void streamIdsAreOddAndRisingFromOne() throws Exception {
        socket = dir.resolve("raw.sock");
        List<Integer> ids = new ArrayList<>();
        try (ServerSocketChannel listener = bind(socket)) {
            Thread rawServer = Thread.ofVirtual().start(() -> {
                try (SocketChannel channel = listener.accept()) {
                    FrameReader reader = new FrameReader(channel);
                    FrameWriter writer = new FrameWriter(channel);
                    for (int i = 0; i < 3; i++) {
                        FrameReader.Frame frame = (FrameReader.Frame) reader.read();
                        ids.add(frame.header().streamId());
                        assertEquals(FrameHeader.TYPE_REQUEST, frame.header().type());
                        assertEquals(0, frame.header().flags());
                        Request request = Request.parseFrom(frame.payload());
                        writer.write(frame.header().streamId(), FrameHeader.TYPE_RESPONSE,
                                Response.newBuilder().setPayload(request.getPayload()).build().toByteArray());
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            client = new TtrpcClient(socket);
            for (String text : List.of("a", "b", "c")) assertArrayEquals(text.getBytes(), echo(text));
            rawServer.join();
        }
        assertEquals(List.of(1, 3, 5), ids);
    }

    @Test
    void concurrentCallsShareOneConnection() throws Exception {
        startServer();
        client = new TtrpcClient(socket);
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<byte[]>> answers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                String text = "call-" + i;
                answers.add(callers.submit(() -> echo(text)));
            }
            for (int i = 0; i < 50; i++) assertArrayEquals(("call-" + i).getBytes(), answers.get(i).get());
        }
        assertEquals(1, server.connectionCount());
    }

    @Test
    void timedOutCallFailsWithDeadlineExceededAndItsLateResponseIsDropped() throws Exception {
        startServer();
        client = new TtrpcClient(socket);
        TtrpcException e = assertThrows(TtrpcException.class,
                () -> client.call(SERVICE, "Block", new byte[0], Map.of(), Duration.ofMillis(50)));
        assertEquals(Code.DEADLINE_EXCEEDED, e.code());
        release.countDown();
        // The connection is still good and the next answer is this call's own.
        assertArrayEquals("after".getBytes(), echo("after"));
        assertEquals(1, server.connectionCount());
    }

    @Test
    void lostConnectionFailsPendingCallsAndTheNextCallReconnects() throws Exception {
        startServer();
        client = new TtrpcClient(socket);
        Future<TtrpcException> pending;
        try (ExecutorService caller = Executors.newVirtualThreadPerTaskExecutor()) {
            pending = caller.submit(() -> assertThrows(TtrpcException.class,
                    () -> client.call(SERVICE, "Block", new byte[0], Map.of(), null)));
            blocked.await();
            server.close(); // containerd goes away
        }
        TtrpcException e = pending.get();
        assertEquals(Code.UNAVAILABLE, e.code());
        assertEquals("ttrpc: closed", e.getMessage());

        TtrpcException down = assertThrows(TtrpcException.class, () -> echo("nobody"));
        assertEquals(Code.UNAVAILABLE, down.code());

        startServer(); // containerd is back on the same path
        assertArrayEquals("back".getBytes(), echo("back"));
    }

    @Test
    void missingSocketIsUnavailable() {
        client = new TtrpcClient(dir.resolve("absent.sock"));
        TtrpcException e = assertThrows(TtrpcException.class, () -> echo("x"));
        assertEquals(Code.UNAVAILABLE, e.code());
    }

    @Test
    void closedClientRefusesCalls() throws Exception {
        startServer();
        client = new TtrpcClient(socket);
        echo("open");
        client.close();
        await(() -> server.connectionCount() == 0, WAIT, "the server to see the close");
        TtrpcException e = assertThrows(TtrpcException.class, () -> echo("closed"));
        assertEquals("ttrpc: closed", e.getMessage());
    }

    @Test
    void oversizedRequestIsRefusedBeforeSending() throws Exception {
        startServer();
        client = new TtrpcClient(socket);
        TtrpcException e = assertThrows(TtrpcException.class, () -> client.call(SERVICE, "Echo",
                new byte[FrameHeader.MAX_MESSAGE_LENGTH], Map.of(), null));
        assertEquals(Code.RESOURCE_EXHAUSTED, e.code());
        assertArrayEquals("fine".getBytes(), echo("fine"));
    }
}
