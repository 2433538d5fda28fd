package jrunc.e2e;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import jrunc.core.manager.SocketAddress;
import jrunc.core.ttrpc.TtrpcClient;
import jrunc.core.ttrpc.TtrpcException;
import jrunc.proto.task.ConnectRequest;
import jrunc.proto.task.ConnectResponse;

/**
 * Our shim's daemon started the way containerd starts it ({@code start} in a bundle holding config.json and a held
 * {@code log} FIFO), with the test playing containerd on its socket. For what containerd cannot be made to do: hand
 * the shim a runc of the test's own (ctr passes runc options only to the runtime named io.containerd.runc.v2), or
 * call in an order no ctr command does. {@link #close} kills the daemon by its pid and removes its socket.
 */
final class ShimDaemon implements AutoCloseable {
    static final String TASK = "containerd.task.v2.Task";
    static final String NAMESPACE = "jrunc-it";

    final Path bundle;
    final Path socket;
    final int pid;
    private final RandomAccessFile logHolder;

    private ShimDaemon(Path bundle, Path socket, int pid, RandomAccessFile logHolder) {
        this.bundle = bundle;
        this.socket = socket;
        this.pid = pid;
        this.logHolder = logHolder;
    }

    /** {@code start} for task {@code id} in a fresh bundle under {@code dir}, with {@code configJson}. */
    static ShimDaemon start(Path dir, String id, String configJson) throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("bundle-" + id));
        Files.writeString(bundle.resolve("config.json"), configJson);
        RuncFixture.run("mkfifo", "-m", "0700", bundle.resolve("log").toString());
        RandomAccessFile log = new RandomAccessFile(bundle.resolve("log").toFile(), "rw"); // containerd holds it so
        ShimBinary.Result r = ShimBinary.run(bundle, new byte[0], "-namespace", NAMESPACE, "-address",
                dir.resolve("containerd.sock").toString(), "-id", id, "start");
        if (r.exit() != 0) {
            log.close();
            throw new IllegalStateException("start failed: " + r.stderr());
        }
        Path socket = SocketAddress.path(r.out());
        try (TtrpcClient client = new TtrpcClient(socket)) {
            int pid = ConnectResponse.parseFrom(client.call(TASK, "Connect",
                    ConnectRequest.newBuilder().setId(id).build().toByteArray(), metadata(), Duration.ofSeconds(10)))
                    .getShimPid();
            return new ShimDaemon(bundle, socket, pid, log);
        }
    }

    static Map<String, String> metadata() {
        return Map.of("containerd-namespace-ttrpc", NAMESPACE);
    }

    /** One Task call with the given deadline (sent as the request's timeout, as containerd's context does). */
    byte[] call(String method, com.google.protobuf.MessageLite request, Duration timeout) throws TtrpcException {
        try (TtrpcClient client = new TtrpcClient(socket)) {
            return client.call(TASK, method, request.toByteArray(), metadata(), timeout);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        Poll.until(Duration.ofSeconds(10), () -> ProcessHandle.of(pid).isEmpty());
        Files.deleteIfExists(socket);
        logHolder.close();
    }
}
