package jrunc.core.ttrpc;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import jrunc.proto.ttrpc.KeyValue;
import jrunc.proto.ttrpc.Request;
import jrunc.proto.ttrpc.Response;

/**
 * A unary ttrpc client of one Unix socket: the shim's side of {@code Events/Forward} to containerd. Connects on
 * first use; after the connection is lost, pending calls fail with UNAVAILABLE "ttrpc: closed" and the next call
 * dials again, so a containerd that restarts is found again. Safe for concurrent callers.
 */
public final class TtrpcClient implements AutoCloseable {
    private final UnixDomainSocketAddress address;
    /** How long a dial may wait for the server to accept; null = as long as the kernel keeps it waiting. */
    private final Duration dialTimeout;
    /** Guarded by {@code this}. */
    private ClientConnection connection;
    /** Guarded by {@code this}. */
    private boolean closed;

    public TtrpcClient(Path socketPath) {
        this(socketPath, null);
    }

    /**
     * A client whose dial gives up after {@code dialTimeout} (a listener with a full backlog keeps a blocking
     * connect waiting until it accepts): for callers such as shim-doctor that must never hang on one socket.
     */
    public TtrpcClient(Path socketPath, Duration dialTimeout) {
        this.address = UnixDomainSocketAddress.of(Objects.requireNonNull(socketPath, "socketPath"));
        this.dialTimeout = dialTimeout;
    }

    /**
     * Calls {@code service/method} and waits for its answer.
     *
     * @param metadata sent as the Request's metadata, e.g. {@code containerd-namespace-ttrpc}
     * @param timeout  how long to wait, also sent as {@code timeout_nano} so the server can give up too; {@code null}
     *                 waits without limit
     * @return the Response payload
     * @throws TtrpcException the server's status; UNAVAILABLE when the socket cannot be reached or the connection
     *                        is lost; DEADLINE_EXCEEDED when {@code timeout} passes first
     */
    public byte[] call(String service, String method, byte[] payload, Map<String, String> metadata, Duration timeout)
            throws TtrpcException {
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("timeout : " + timeout + " (expected: > 0 or null)");
        }
        Request.Builder request = Request.newBuilder().setService(service).setMethod(method)
                .setPayload(ByteString.copyFrom(payload));
        if (timeout != null) request.setTimeoutNano(saturatedNanos(timeout));
        metadata.forEach((k, v) -> request.addMetadata(KeyValue.newBuilder().setKey(k).setValue(v)));
        byte[] bytes = request.build().toByteArray();
        if (bytes.length > FrameHeader.MAX_MESSAGE_LENGTH) throw Statuses.toException(Statuses.oversized(bytes.length));

        ClientConnection conn = connection();
        CompletableFuture<Response> answer = new CompletableFuture<>();
        int streamId = conn.send(bytes, answer);
        Response response = await(conn, streamId, answer, timeout);
        if (response.hasStatus() && response.getStatus().getCode() != Code.OK.value()) {
            throw Statuses.toException(response.getStatus());
        }
        return response.getPayload().toByteArray();
    }

    /** Closes the connection; pending and later calls fail with UNAVAILABLE. */
    @Override
    public synchronized void close() {
        closed = true;
        if (connection != null) connection.close("client closed");
    }

    private synchronized ClientConnection connection() throws TtrpcException {
        if (closed) throw ClientConnection.closedError();
        if (connection == null || !connection.isOpen()) {
            try {
                connection = new ClientConnection(dial());
            } catch (IOException e) {
                throw new TtrpcException(Code.UNAVAILABLE, "dial " + address.getPath() + ": " + e.getMessage(), e);
            }
        }
        return connection;
    }

    private SocketChannel dial() throws IOException {
        if (dialTimeout == null) return SocketChannel.open(address);
        SocketChannel ch = SocketChannel.open(java.net.StandardProtocolFamily.UNIX);
        try {
            ch.configureBlocking(false);
            if (!ch.connect(address)) {
                try (java.nio.channels.Selector selector = java.nio.channels.Selector.open()) {
                    ch.register(selector, java.nio.channels.SelectionKey.OP_CONNECT);
                    if (selector.select(Math.max(1, dialTimeout.toMillis())) == 0) {
                        throw new IOException("no answer within " + dialTimeout.toMillis() + " ms");
                    }
                }
                ch.finishConnect();
            }
            ch.configureBlocking(true);
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static Response await(ClientConnection conn, int streamId, CompletableFuture<Response> answer,
                                  Duration timeout) throws TtrpcException {
        try {
            return timeout == null ? answer.get() : answer.get(saturatedNanos(timeout), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            conn.forget(streamId);
            throw new TtrpcException(Code.DEADLINE_EXCEEDED, "context deadline exceeded");
        } catch (InterruptedException e) {
            conn.forget(streamId);
            Thread.currentThread().interrupt();
            throw new TtrpcException(Code.CANCELLED, "context canceled");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TtrpcException t) throw t;
            throw new TtrpcException(Code.UNKNOWN, String.valueOf(e.getCause()), e.getCause());
        }
    }

    private static long saturatedNanos(Duration timeout) {
        try {
            return timeout.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
