package jrunc.core.ttrpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import jrunc.proto.rpc.Status;
import jrunc.proto.ttrpc.KeyValue;
import jrunc.proto.ttrpc.Request;
import jrunc.proto.ttrpc.Response;

/**
 * One accepted client connection: a single reader loop, each Request handled on a thread of its own, every
 * Response written through one {@link FrameWriter}. Mirrors {@code serverConn.run} in ttrpc's {@code server.go}
 * (v1.1.1, plus the rising-id check of v1.2).
 *
 * <p>Frame errors and request errors differ: a short read or a failed socket ends the connection; an oversized
 * frame, an even or reused stream id, or an envelope that will not decode is answered on its own stream and the
 * connection keeps going.
 */
final class ServerConnection implements Runnable {
    private static final Logger LOG = System.getLogger(ServerConnection.class.getName());
    private static final Status OK = Statuses.of(Code.OK, "");
    private static final Status DEADLINE_EXCEEDED = Statuses.of(Code.DEADLINE_EXCEEDED, "context deadline exceeded");

    private final SocketChannel channel;
    private final ServiceRegistry registry;
    private final Executor handlers;
    private final Consumer<ServerConnection> onClosed;
    private final FrameWriter writer;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The highest stream id seen so far; touched only by the reader loop. */
    private int lastStreamId;

    ServerConnection(SocketChannel channel, ServiceRegistry registry, Executor handlers,
                     Consumer<ServerConnection> onClosed) {
        this.channel = channel;
        this.registry = registry;
        this.handlers = handlers;
        this.onClosed = onClosed;
        this.writer = new FrameWriter(channel);
    }

    @Override
    public void run() {
        FrameReader reader = new FrameReader(channel);
        try {
            while (true) {
                switch (reader.read()) {
                    case FrameReader.Oversized o -> respond(o.header().streamId(), Statuses.oversized(o.header().length()));
                    case FrameReader.Frame f -> receive(f);
                }
            }
        } catch (EOFException e) {
            LOG.log(Level.DEBUG, "ttrpc connection closed by client: {0}", e.getMessage());
        } catch (ClosedChannelException e) {
            LOG.log(Level.DEBUG, "ttrpc connection closed by server");
        } catch (IOException e) {
            // e.g. a reset when containerd is killed: routine for a long-lived shim, one line is enough.
            LOG.log(Level.WARNING, "ttrpc connection failed: {0}", e.toString());
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "ttrpc connection reader failed: " + e, e);
        } finally {
            close();
        }
    }

    /** Closes the socket; the reader loop ends and in-flight handlers' responses are dropped. */
    void close() {
        if (!closed.compareAndSet(false, true)) return;
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "close ttrpc connection: {0}", e.toString());
        }
        onClosed.accept(this);
    }

    private void receive(FrameReader.Frame frame) {
        FrameHeader header = frame.header();
        int streamId = header.streamId();
        if (header.type() != FrameHeader.TYPE_REQUEST) {
            // A unary server ignores Data and anything newer (ttrpc v1.0/v1.1 behaviour, ttrpc v1.1.1 server.go).
            LOG.log(Level.DEBUG, "ignoring ttrpc frame {0}", header);
            return;
        }
        if ((streamId & 1) == 0) {
            respond(streamId, Statuses.of(Code.INVALID_ARGUMENT, "StreamID must be odd for client initiated streams"));
            return;
        }
        if (Integer.compareUnsigned(streamId, lastStreamId) <= 0) {
            // Two calls on one id would make their responses ambiguous to the client (ttrpc v1.2 rejects it too).
            respond(streamId, Statuses.of(Code.INVALID_ARGUMENT, "StreamID cannot be re-used and must increment"));
            return;
        }
        lastStreamId = streamId;
        Request request;
        try {
            request = Request.parseFrom(frame.payload());
        } catch (InvalidProtocolBufferException e) {
            respond(streamId, Statuses.of(Code.INVALID_ARGUMENT, "unmarshal request: " + e.getMessage()));
            return;
        }
        dispatch(streamId, request);
    }

    /**
     * Runs the handler on a thread of its own: {@code Wait} may block for hours while {@code State} and {@code Kill}
     * arrive on this same connection. Exactly one response goes out per stream: the handler's result, or
     * DEADLINE_EXCEEDED if {@code timeout_nano} runs out first; whichever comes second is dropped.
     */
    private void dispatch(int streamId, Request request) {
        long timeoutNanos = request.getTimeoutNano();
        long deadline = timeoutNanos > 0 ? saturatedAdd(System.nanoTime(), timeoutNanos) : Long.MAX_VALUE;
        CallContext context = new CallContext(request.getService(), request.getMethod(),
                metadataOf(request.getMetadataList()), deadline);
        UnaryHandler handler;
        try {
            // resolved before any deadline runs, as ttrpc-go does: an unknown method is UNIMPLEMENTED, never late
            handler = registry.lookup(context.service(), context.method());
        } catch (TtrpcException e) {
            respond(streamId, Statuses.fromThrowable(e));
            return;
        }
        AtomicBoolean answered = new AtomicBoolean();
        if (timeoutNanos > 0) {
            // The handler is not interrupted: like a Go handler that ignores ctx, it runs to its end and its result
            // is dropped. Interrupting could leave runc or a half-written file behind. Handlers that can stop early
            // read CallContext.deadlineNanos().
            CompletableFuture.delayedExecutor(timeoutNanos, TimeUnit.NANOSECONDS, handlers).execute(() -> {
                if (answered.compareAndSet(false, true)) respond(streamId, DEADLINE_EXCEEDED);
            });
        }
        handlers.execute(() -> {
            Response response = invoke(handler, context, request.getPayload());
            if (answered.compareAndSet(false, true)) {
                respond(streamId, response);
            } else {
                LOG.log(Level.DEBUG, "dropping late response to {0}/{1}: the deadline passed",
                        context.service(), context.method());
            }
        });
    }

    private Response invoke(UnaryHandler handler, CallContext context, ByteString payload) {
        long started = System.nanoTime();
        Response response;
        try {
            byte[] result = handler.handle(context, payload.toByteArray());
            // Go's server always sets the status, OK included; we send the same bytes.
            response = Response.newBuilder().setStatus(OK)
                    .setPayload(result == null ? ByteString.EMPTY : ByteString.copyFrom(result)).build();
        } catch (TtrpcException e) {
            response = Response.newBuilder().setStatus(Statuses.fromThrowable(e)).build();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, context.service() + "/" + context.method() + " failed: " + e, e);
            response = Response.newBuilder().setStatus(Statuses.fromThrowable(e)).build();
        } catch (Error e) {
            // Still answered: a stream left without a status hangs its caller (Wait has no deadline). Go's shim
            // would crash on a handler's panic instead; the rest of this shim's tasks keep being served.
            LOG.log(Level.ERROR, context.service() + "/" + context.method() + " failed: " + e, e);
            response = Response.newBuilder().setStatus(Statuses.fromThrowable(e)).build();
        }
        Status status = response.getStatus();
        LOG.log(Level.DEBUG, () -> context.method() + " answered " + Code.of(status.getCode())
                + (status.getMessage().isEmpty() ? "" : " \"" + status.getMessage() + "\"") + " in "
                + (System.nanoTime() - started) / 1_000_000 + " ms");
        return response;
    }

    private void respond(int streamId, Status status) {
        respond(streamId, Response.newBuilder().setStatus(status).build());
    }

    private void respond(int streamId, Response response) {
        byte[] bytes = response.toByteArray();
        if (bytes.length > FrameHeader.MAX_MESSAGE_LENGTH) {
            // The client would discard it anyway; tell it why instead (ttrpc v1.2 does the same).
            bytes = Response.newBuilder().setStatus(Statuses.oversized(bytes.length)).build().toByteArray();
        }
        try {
            writer.write(streamId, FrameHeader.TYPE_RESPONSE, bytes);
        } catch (IOException e) {
            // The client went away; the reader loop sees the same and closes the connection.
            LOG.log(Level.DEBUG, "write ttrpc response on stream {0}: {1}", Integer.toUnsignedString(streamId), e.toString());
        }
    }

    private static Map<String, List<String>> metadataOf(List<KeyValue> pairs) {
        if (pairs.isEmpty()) return Map.of();
        Map<String, List<String>> metadata = new LinkedHashMap<>();
        for (KeyValue kv : pairs) metadata.computeIfAbsent(kv.getKey(), k -> new ArrayList<>(1)).add(kv.getValue());
        metadata.replaceAll((k, v) -> List.copyOf(v));
        return Collections.unmodifiableMap(metadata);
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }
}
