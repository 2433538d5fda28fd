package jrunc.core.ttrpc;

import static jrunc.core.ttrpc.Polling.await;
import static jrunc.core.ttrpc.RawPeer.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import jdk.net.UnixDomainPrincipal;
import jrunc.proto.ttrpc.KeyValue;
import jrunc.proto.ttrpc.Request;
import jrunc.proto.ttrpc.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class TtrpcServerTest {
    private static final String SERVICE = "test.v1.Echo";
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch blockedFinished = new CountDownLatch(1);
    private final List<CallContext> contexts = new CopyOnWriteArrayList<>();
    private final ServiceRegistry registry = new ServiceRegistry()
            .register(SERVICE, "Echo", (ctx, payload) -> payload)
            .register(SERVICE, "Context", (ctx, payload) -> {
                contexts.add(ctx);
                return new byte[0];
            })
            .register(SERVICE, "NotFound", (ctx, payload) -> {
                throw new TtrpcException(Code.NOT_FOUND, "process already finished");
            })
            .register(SERVICE, "Boom", (ctx, payload) -> {
                throw new IllegalStateException("boom");
            })
            .register(SERVICE, "Missing", (ctx, payload) -> {
                throw new UncheckedIOException(new NoSuchFileException("/run/containerd/x/init.pid"));
            })
            .register(SERVICE, "Block", (ctx, payload) -> {
                try {
                    release.await();
                    return "late".getBytes(StandardCharsets.UTF_8);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                } finally {
                    blockedFinished.countDown();
                }
            });

    private Path socket;
    private TtrpcServer server;

    @AfterEach
    void stop() {
        release.countDown();
        if (server != null) server.close();
    }

    private TtrpcServer start(Predicate<UnixDomainPrincipal> peerCheck) throws IOException {
        socket = dir.resolve("shim.sock");
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
        server = new TtrpcServer(listener, registry, peerCheck).start();
        return server;
    }

    private TtrpcServer start() throws IOException {
        return start(peer -> true);
    }

    private static void assertStatus(Code code, String message, Response response) {
        assertEquals(code.value(), response.getStatus().getCode(), () -> "status " + response.getStatus());
        assertEquals(message, response.getStatus().getMessage());
    }

    private static void assertEcho(String expected, Response response) {
        assertEquals(Code.OK.value(), response.getStatus().getCode(), () -> "status " + response.getStatus());
        assertEquals(expected, response.getPayload().toStringUtf8());
    }

    @Test
    void unaryCallIsAnsweredOnItsStream() throws IOException {
        start();
        try (RawPeer peer = new RawPeer(socket)) {
            peer.send(1, request(SERVICE, "Echo", "hello".getBytes()));
            assertEcho("hello", peer.response(1));
            peer.send(3, request(SERVICE, "Echo", "again".getBytes()));
            assertEcho("again", peer.response(3));
        }
    }

    @Test
    void oversizedFrameAnswersResourceExhaustedAndTheConnectionSurvives() throws IOException {
        start();
        try (RawPeer peer = new RawPeer(socket)) {
            int length = FrameHeader.MAX_MESSAGE_LENGTH + 1;
            ByteBuffer header = ByteBuffer.allocate(FrameHeader.SIZE);
            FrameHeader.of(length, 1, FrameHeader.TYPE_REQUEST).writeTo(header);
            peer.sendBytes(header.array());
            peer.sendBytes(new byte[length]);
            assertStatus(Code.RESOURCE_EXHAUSTED, "message length 4194305 exceed maximum message size of 4194304",
                    peer.response(1));

            peer.send(3, request(SERVICE, "Echo", "still here".getBytes()));
            assertEcho("still here", peer.response(3));
        }
    }

    @Test
    void evenStreamIdAnswersInvalidArgument() throws IOException {
        start();
        try (RawPeer peer = new RawPeer(socket)) {
            peer.send(2, request(SERVICE, "Echo", new byte[0]));
            assertStatus(Code.INVALID_ARGUMENT, "StreamID must be odd for client initiated streams", peer.response(2));
            peer.send(3, request(SERVICE, "Echo", "ok".getBytes()));
            assertEcho("ok", peer.response(3));
        }
    }

    @Test
    void reusedStreamIdAnswersInvalidArgument() throws IOException {
        start();
        try (RawPeer peer = new RawPeer(socket)) {
            peer.send(5, request(SERVICE, "Echo", "a".getBytes()));
            assertEcho("a", peer.response(5));
            peer.send(5, request(SERVICE, "Echo", "b".getBytes()));
            assertStatus(Code.INVALID_ARGUMENT, "StreamID cannot be re-used and must increment", peer.response(5));
            peer.send(3, request(SERVICE, "Echo", "c".getBytes()));
            assertStatus(Code.INVALID_ARGUMENT, "StreamID cannot be re-used and must increment", peer.response(3));
        }
    }

    @Test
    void undecodableRequestEnvelopeAnswersInvalidArgument() throws IOException {
        start();
        try (RawPeer peer = new RawPeer(socket)) {
            // Field 1 (service) announced as 100 bytes long, with 2 present.
            peer.send(1, FrameHeader.TYPE_REQUEST, new byte[] {0x0a, 100, 'x', 'y'});
            Response response = peer.response(1);
            assertEquals(Code.INVALID_ARGUMENT.value(), response.getStatus().getCode());
            assertTrue(response.getStatus().getMessage().startsWith("unmarshal request: "),
                    response.getStatus().getMessage());
            peer.send(3, request(SERVICE, "Echo", "ok".getBytes()));
            assertEcho("ok", peer.response(3));
        }
    }

    @Test
    void unknownServiceOrMethodAnswersUnimplemented() throws IOException {
        start();
        try (RawPeer peer = new RawPeer(socket)) {
            peer.send(1, request("containerd.task.v3.Task", "Create", new byte[0]));
            assertStatus(Code.UNIMPLEMENTED, "service containerd.task.v3.Task", peer.response(1));
            peer.send(3, request(SERVICE, "Checkpoint", new byte[0]));
            assertStatus(Code.UNIMPLEMENTED, "method Checkpoint", peer.response(3));
        }
    }

    @Test
    void framesOtherThanRequestsAreIgnored() throws IOException {
        start();
        try (RawPeer peer = new RawPeer(socket)) {
            peer.send(1, FrameHeader.TYPE_DATA, "stream data".getBytes());
            peer.send(1, FrameHeader.TYPE_RESPONSE, new byte[0]);
            peer.send(3, request(SERVICE, "Echo", "only answer".getBytes()));
            assertEcho("only answer", peer.response(3));
        }
    }

    @Test
    void handlerFailuresBecomeStatuses() throws IOException {
        start();
        try (RawPeer peer = new RawPeer(socket)) {
            peer.send(1, request(SERVICE, "NotFound", new byte[0]));
            assertStatus(Code.NOT_FOUND, "process already finished", peer.response(1));
            peer.send(3, request(SERVICE, "Boom", new byte[0]));
            assertStatus(Code.UNKNOWN, "boom", peer.response(3));
            peer.send(5, request(SERVICE, "Missing", new byte[0]));
            assertEquals(Code.NOT_FOUND.value(), peer.response(5).getStatus().getCode());
        }
    }

    @Test
    void blockedHandlerDoesNotHoldUpAnotherCallOnTheSameConnection() throws IOException {
        start();
        try (RawPeer peer = new RawPeer(socket)) {
            peer.send(1, request(SERVICE, "Block", new byte[0]));
            peer.send(3, request(SERVICE, "Echo", "state".getBytes()));
            assertEcho("state", peer.response(3));
            release.countDown();
            assertEcho("late", peer.response(1));
        }
    }

    @Test
    void passedDeadlineAnswersDeadlineExceededOnceAndDropsTheLateResult() throws Exception {
        start();
        try (RawPeer peer = new RawPeer(socket)) {
            Request blocked = request(SERVICE, "Block", new byte[0]).toBuilder()
                    .setTimeoutNano(TimeUnit.MILLISECONDS.toNanos(50)).build();
            peer.send(1, blocked);
            assertStatus(Code.DEADLINE_EXCEEDED, "context deadline exceeded", peer.response(1));

            release.countDown();
            assertTrue(blockedFinished.await(WAIT.toSeconds(), TimeUnit.SECONDS));
            peer.send(3, request(SERVICE, "Echo", "next".getBytes()));
            assertEcho("next", peer.response(3));
            // Ending our side makes the server close; a late second answer on stream 1 would show up before that.
            peer.channel.shutdownOutput();
            assertTrue(peer.closedByPeer(), "no frame expected after the answer on stream 3");
        }
    }

    @Test
    void handlerSeesMetadataAndDeadline() throws IOException {
        start();
        try (RawPeer peer = new RawPeer(socket)) {
            Request request = request(SERVICE, "Context", new byte[0]).toBuilder()
                    .addMetadata(KeyValue.newBuilder().setKey(CallContext.NAMESPACE_KEY).setValue("k8s.io"))
                    .addMetadata(KeyValue.newBuilder().setKey("x-repeat").setValue("1"))
                    .addMetadata(KeyValue.newBuilder().setKey("x-repeat").setValue("2"))
                    .setTimeoutNano(TimeUnit.SECONDS.toNanos(30))
                    .build();
            long before = System.nanoTime();
            peer.send(1, request);
            peer.response(1);
            peer.send(3, request(SERVICE, "Context", new byte[0]));
            peer.response(3);
        }
        CallContext withDeadline = contexts.get(0);
        assertEquals("k8s.io", withDeadline.namespace());
        assertEquals(List.of("1", "2"), withDeadline.metadata().get("x-repeat"));
        assertEquals(SERVICE, withDeadline.service());
        assertEquals("Context", withDeadline.method());
        assertTrue(withDeadline.deadlineNanos() != Long.MAX_VALUE);
        CallContext without = contexts.get(1);
        assertEquals("", without.namespace());
        assertEquals(Long.MAX_VALUE, without.deadlineNanos());
    }

    @Test
    void peerCheckSeesOurOwnUidAndGid() throws IOException {
        List<UnixDomainPrincipal> seen = new CopyOnWriteArrayList<>();
        start(peer -> seen.add(peer));
        try (RawPeer peer = new RawPeer(socket)) {
            peer.send(1, request(SERVICE, "Echo", "me".getBytes()));
            assertEcho("me", peer.response(1));
        }
        // The socket file was created by this process, so its owner is our effective uid and gid.
        PosixFileAttributes attributes = Files.readAttributes(socket, PosixFileAttributes.class);
        assertEquals(List.of(new UnixDomainPrincipal(attributes.owner(), attributes.group())), seen);
    }

    @Test
    void refusedPeerIsDisconnected() throws IOException {
        start(peer -> false);
        try (RawPeer peer = new RawPeer(socket)) {
            assertTrue(peer.closedByPeer());
        }
        assertEquals(0, server.connectionCount());
    }

    @Test
    void truncatedFrameClosesThatConnectionOnly() throws IOException {
        start();
        List<Integer> remaining = new CopyOnWriteArrayList<>();
        server.onConnectionClosed(remaining::add);
        try (RawPeer healthy = new RawPeer(socket)) {
            try (RawPeer broken = new RawPeer(socket)) {
                await(() -> server.connectionCount() == 2, WAIT, "two connections");
                broken.sendBytes(new byte[] {0, 0, 0, 5, 0}); // half a header
            }
            await(() -> server.connectionCount() == 1, WAIT, "the broken connection to close");
            assertEquals(List.of(1), remaining);
            healthy.send(1, request(SERVICE, "Echo", "fine".getBytes()));
            assertEcho("fine", healthy.response(1));
        }
    }

    @Test
    void clientClosingMidPayloadLeavesTheServerServing() throws IOException {
        start();
        try (RawPeer broken = new RawPeer(socket)) {
            ByteBuffer header = ByteBuffer.allocate(FrameHeader.SIZE);
            FrameHeader.of(100, 1, FrameHeader.TYPE_REQUEST).writeTo(header);
            broken.sendBytes(header.array());
            broken.sendBytes(new byte[10]);
        }
        await(() -> server.connectionCount() == 0, WAIT, "the broken connection to close");
        try (RawPeer peer = new RawPeer(socket)) {
            peer.send(1, request(SERVICE, "Echo", "fine".getBytes()));
            assertEcho("fine", peer.response(1));
        }
    }

    @Test
    void garbageBytesDoNotStopTheServer() throws IOException {
        start();
        Random random = new Random(20230330);
        for (int round = 0; round < 20; round++) {
            byte[] garbage = new byte[1 + random.nextInt(200)];
            random.nextBytes(garbage);
            try (RawPeer peer = new RawPeer(socket)) {
                peer.sendBytes(garbage);
            }
        }
        await(() -> server.connectionCount() == 0, WAIT, "garbage connections to close");
        try (RawPeer peer = new RawPeer(socket)) {
            peer.send(1, request(SERVICE, "Echo", "fine".getBytes()));
            assertEcho("fine", peer.response(1));
        }
    }

    @Test
    void closeStopsAcceptingAndClosesConnections() throws IOException {
        start();
        List<Integer> remaining = new CopyOnWriteArrayList<>();
        server.onConnectionClosed(remaining::add);
        try (RawPeer peer = new RawPeer(socket)) {
            await(() -> server.connectionCount() == 1, WAIT, "the connection");
            server.close();
            assertTrue(peer.closedByPeer());
        }
        await(() -> remaining.equals(List.of(0)), WAIT, "the closed listener");
        assertThrows(IOException.class, () -> SocketChannel.open(UnixDomainSocketAddress.of(socket)));
        assertFalse(server.connectionCount() > 0);
    }

    @Test
    void oversizedResponseIsReplacedByResourceExhausted() throws IOException {
        registry.register(SERVICE, "Huge", (ctx, payload) -> new byte[FrameHeader.MAX_MESSAGE_LENGTH]);
        start();
        try (RawPeer peer = new RawPeer(socket)) {
            peer.send(1, request(SERVICE, "Huge", new byte[0]));
            Response response = peer.response(1);
            assertEquals(Code.RESOURCE_EXHAUSTED.value(), response.getStatus().getCode());
            assertEquals(ByteString.EMPTY, response.getPayload());
        }
    }
}
