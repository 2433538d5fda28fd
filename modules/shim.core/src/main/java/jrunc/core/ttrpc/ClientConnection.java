package jrunc.core.ttrpc;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import jrunc.proto.ttrpc.Response;

/**
 * One client connection: rising odd stream ids, a map of calls waiting for their Response, and one reader that
 * completes them. Mirrors {@code Client} in ttrpc's {@code client.go} (v1.1.1).
 *
 * <p>When the connection ends, every waiting call fails with UNAVAILABLE "ttrpc: closed", the error containerd's
 * own client gives, and the connection is never used again; {@link TtrpcClient} dials a new one.
 */
final class ClientConnection {
    private static final Logger LOG = System.getLogger(ClientConnection.class.getName());

    private final SocketChannel channel;
    private final FrameWriter writer;
    /** Calls sent and not yet answered, by stream id. */
    private final Map<Integer, CompletableFuture<Response>> pending = new ConcurrentHashMap<>();
    /** The next stream id to hand out; read and written only under the writer's lock. */
    private int nextStreamId = 1;
    private volatile boolean closed;

    ClientConnection(SocketChannel channel) {
        this.channel = channel;
        this.writer = new FrameWriter(channel);
        Thread.ofVirtual().name("ttrpc-client-reader").start(this::readLoop);
    }

    boolean isOpen() {
        return !closed;
    }

    /**
     * Sends a Request and returns the stream id it went out on, with {@code answer} registered to receive its
     * Response. The id is chosen under the write lock, so ids reach the wire rising.
     */
    int send(byte[] request, CompletableFuture<Response> answer) throws TtrpcException {
        int streamId;
        try {
            streamId = writer.write(() -> {
                int id = nextStreamId;
                nextStreamId += 2;
                pending.put(id, answer);
                return id;
            }, FrameHeader.TYPE_REQUEST, request);
        } catch (IOException e) {
            close("send: " + e);
            throw closedError();
        }
        // A close that ran between put and this check has either failed the call already or will find it in the map.
        if (closed && pending.remove(streamId) != null) throw closedError();
        return streamId;
    }

    /** The caller gave up on this call: a late Response is dropped. */
    void forget(int streamId) {
        pending.remove(streamId);
    }

    void close(String why) {
        if (closed) return;
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "close ttrpc client connection: {0}", e.toString());
        }
        LOG.log(Level.DEBUG, "ttrpc client connection closed: {0}", why);
        for (Integer id : pending.keySet()) {
            CompletableFuture<Response> call = pending.remove(id);
            if (call != null) call.completeExceptionally(closedError());
        }
    }

    static TtrpcException closedError() {
        return new TtrpcException(Code.UNAVAILABLE, "ttrpc: closed");
    }

    private void readLoop() {
        FrameReader reader = new FrameReader(channel);
        String why = "closed";
        try {
            while (!closed) {
                switch (reader.read()) {
                    case FrameReader.Oversized o -> fail(o.header().streamId(),
                            Statuses.toException(Statuses.oversized(o.header().length())));
                    case FrameReader.Frame f -> receive(f);
                }
            }
        } catch (EOFException e) {
            why = e.getMessage();
        } catch (IOException | RuntimeException e) {
            why = e.toString();
        } finally {
            close(why);
        }
    }

    private void receive(FrameReader.Frame frame) {
        FrameHeader header = frame.header();
        if (header.type() != FrameHeader.TYPE_RESPONSE) {
            LOG.log(Level.DEBUG, "ignoring ttrpc frame {0}", header);
            return;
        }
        CompletableFuture<Response> call = pending.remove(header.streamId());
        if (call == null) {
            // The caller's deadline passed; ttrpc logs the same and drops the message.
            LOG.log(Level.DEBUG, "received message for unknown channel {0}", Integer.toUnsignedString(header.streamId()));
            return;
        }
        try {
            call.complete(Response.parseFrom(frame.payload()));
        } catch (InvalidProtocolBufferException e) {
            call.completeExceptionally(new TtrpcException(Code.INTERNAL, "unmarshal response: " + e.getMessage()));
        }
    }

    private void fail(int streamId, TtrpcException error) {
        CompletableFuture<Response> call = pending.remove(streamId);
        if (call != null) call.completeExceptionally(error);
    }
}
