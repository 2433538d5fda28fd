package jrunc.core.ttrpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.google.protobuf.ByteString;
import java.io.EOFException;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import jrunc.proto.ttrpc.Request;
import jrunc.proto.ttrpc.Response;

/** A test client that speaks frames directly, so tests can send what a real client never would. */
final class RawPeer implements AutoCloseable {
    final SocketChannel channel;
    private final FrameReader reader;
    private final FrameWriter writer;

    RawPeer(Path socket) throws IOException {
        this.channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        this.reader = new FrameReader(channel);
        this.writer = new FrameWriter(channel);
    }

    static Request request(String service, String method, byte[] payload) {
        return Request.newBuilder().setService(service).setMethod(method).setPayload(ByteString.copyFrom(payload)).build();
    }

    void send(int streamId, Request request) throws IOException {
        writer.write(streamId, FrameHeader.TYPE_REQUEST, request.toByteArray());
    }

    void send(int streamId, byte type, byte[] payload) throws IOException {
        writer.write(streamId, type, payload);
    }

    /** Writes bytes as they are: half frames, garbage. */
    void sendBytes(byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) channel.write(buffer);
    }

    /** Reads the next frame, which must be a Response on {@code streamId}. */
    Response response(int streamId) throws IOException {
        FrameReader.Frame frame = assertInstanceOf(FrameReader.Frame.class, reader.read());
        assertEquals(FrameHeader.TYPE_RESPONSE, frame.header().type(), "frame type");
        assertEquals(streamId, frame.header().streamId(), "stream id");
        return Response.parseFrom(frame.payload());
    }

    /** Whether the other side closed the connection: the next read ends. */
    boolean closedByPeer() throws IOException {
        try {
            reader.read();
            return false;
        } catch (EOFException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
