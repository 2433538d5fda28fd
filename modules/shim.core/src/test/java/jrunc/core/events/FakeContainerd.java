package jrunc.core.events;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import jrunc.core.ttrpc.CallContext;
import jrunc.core.ttrpc.Code;
import jrunc.core.ttrpc.ServiceRegistry;
import jrunc.core.ttrpc.TtrpcException;
import jrunc.core.ttrpc.TtrpcServer;
import jrunc.proto.eventsapi.ForwardRequest;

/** containerd's ttrpc events service, as far as a shim sees it: records each Forward, can fail or stall some. */
final class FakeContainerd implements AutoCloseable {
    /** One accepted Forward: the request and the namespace metadata it came with. */
    record Forwarded(ForwardRequest request, String namespaceMetadata) {
        String topic() {
            return request.getEnvelope().getTopic();
        }
    }

    final List<Forwarded> forwarded = new CopyOnWriteArrayList<>();
    /** Forward calls that reached the handler, stalled or not. */
    final AtomicInteger entered = new AtomicInteger();
    /** Forward calls past the stall, failed or not. */
    final AtomicInteger calls = new AtomicInteger();
    private final TtrpcServer server;
    private final int failFirst;
    private final Code failWith;
    private final CountDownLatch stall;

    /**
     * @param failFirst the first this many Forward calls fail with {@code failWith}
     * @param stall     each Forward waits for this latch first (count 0 for none)
     */
    FakeContainerd(Path socket, int failFirst, Code failWith, CountDownLatch stall) throws IOException {
        this.failFirst = failFirst;
        this.failWith = failWith;
        this.stall = stall;
        Files.deleteIfExists(socket);
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
        ServiceRegistry registry = new ServiceRegistry()
                .register(RemoteEventPublisher.SERVICE, RemoteEventPublisher.METHOD, this::forward);
        this.server = new TtrpcServer(listener, registry, peer -> true).start();
    }

    FakeContainerd(Path socket) throws IOException {
        this(socket, 0, Code.OK, new CountDownLatch(0));
    }

    private byte[] forward(CallContext context, byte[] payload) throws TtrpcException {
        entered.incrementAndGet();
        try {
            stall.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (calls.incrementAndGet() <= failFirst) throw new TtrpcException(failWith, "event exchange unavailable");
        try {
            forwarded.add(new Forwarded(ForwardRequest.parseFrom(payload), context.namespace()));
        } catch (InvalidProtocolBufferException e) {
            throw TtrpcException.invalidArgument(e.getMessage());
        }
        return new byte[0]; // google.protobuf.Empty
    }

    List<String> topics() {
        return forwarded.stream().map(Forwarded::topic).toList();
    }

    @Override
    public void close() {
        server.close();
    }
}
