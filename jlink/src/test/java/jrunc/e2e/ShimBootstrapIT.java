package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jrunc.core.manager.SocketAddress;
import jrunc.core.ttrpc.TtrpcClient;
import jrunc.proto.bootstrap.BootstrapParams;
import jrunc.proto.bootstrap.BootstrapResult;
import jrunc.proto.bootstrap.Extension;
import jrunc.proto.bootstrap.LogLevel;
import jrunc.proto.runc.Options;
import jrunc.proto.task.ConnectRequest;
import jrunc.proto.task.ConnectResponse;
import jrunc.proto.types.RuntimeInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's binary speaking containerd 2.x's side of the shim protocol, which no packaged containerd here speaks
 * in full: {@code start} given containerd 2.3's BootstrapParams answers a BootstrapResult for protocol version 3 and
 * serves {@code containerd.task.v3.Task} (containerd v2.3.0 pkg/shim/util.go and core/runtime/v2/shim.go); given the
 * older options Any it answers the plain address, as before; {@code -info} answers a RuntimeInfo.
 */
class ShimBootstrapIT {
    private static final String NAMESPACE = "jrunc-it";
    @TempDir Path dir;
    private final List<RandomAccessFile> logHolders = new ArrayList<>();
    private final List<Path> sockets = new ArrayList<>();
    private final List<Long> daemons = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (long pid : daemons) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        for (Path s : sockets) Files.deleteIfExists(s);
        for (RandomAccessFile f : logHolders) f.close();
    }

    /** A bundle with config.json and a log FIFO held open, as containerd prepares one. */
    private Path bundle(String name) throws Exception {
        Path bundle = Files.createDirectories(dir.resolve(name));
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"annotations\":{}}");
        RuncFixture.run("mkfifo", "-m", "0700", bundle.resolve("log").toString());
        logHolders.add(new RandomAccessFile(bundle.resolve("log").toFile(), "rw"));
        return bundle;
    }

    private String grpcAddress() {
        return dir.resolve("containerd.sock").toString();
    }

    private ShimBinary.Result start(Path bundle, String id, byte[] stdin) throws Exception {
        return ShimBinary.run(bundle, stdin, "-namespace", NAMESPACE, "-address", grpcAddress(),
                "-publish-binary", "/usr/bin/containerd", "-id", id, "start");
    }

    private long connect(Path socket, String service, String id) throws Exception {
        try (TtrpcClient client = new TtrpcClient(socket)) {
            byte[] resp = client.call(service, "Connect", ConnectRequest.newBuilder().setId(id).build().toByteArray(),
                    Map.of("containerd-namespace-ttrpc", NAMESPACE), Duration.ofSeconds(5));
            long pid = ConnectResponse.parseFrom(resp).getShimPid();
            if (!daemons.contains(pid)) daemons.add(pid);
            return pid;
        }
    }

    @Test
    void bootstrapParamsAreAnsweredWithABootstrapResultAndTheDaemonServesTaskV3AndV2() throws Exception {
        Options options = Options.newBuilder().setBinaryName("runc").build();
        BootstrapParams params = BootstrapParams.newBuilder()
                .setInstanceId("b1").setNamespace(NAMESPACE).setLogLevel(LogLevel.LOG_LEVEL_INFO)
                .setContainerdVersion("2.3.0").setContainerdGrpcAddress(grpcAddress())
                .setContainerdTtrpcAddress(grpcAddress() + ".ttrpc").setContainerdBinary("/usr/bin/containerd")
                .addExtensions(Extension.newBuilder().setValue(Any.pack(options)))
                .build();

        ShimBinary.Result r = start(bundle("b1"), "b1", params.toByteArray());

        assertEquals(0, r.exit(), r.stderr());
        assertEquals("", r.stderr(), "containerd reads stdout and stderr together");
        BootstrapResult result = BootstrapResult.parseFrom(r.stdout());
        String expected = SocketAddress.of(grpcAddress(), NAMESPACE, "b1");
        assertEquals(3, result.getVersion());
        assertEquals("ttrpc", result.getProtocol());
        assertEquals(expected, result.getAddress());
        Path socket = SocketAddress.path(expected);
        sockets.add(socket);
        long pid = connect(socket, "containerd.task.v3.Task", "b1");
        assertTrue(pid > 0);
        assertEquals(pid, connect(socket, "containerd.task.v2.Task", "b1"), "both names reach the same daemon");
    }

    @Test
    void anOptionsAnyIsAnsweredWithThePlainAddressAsBefore() throws Exception {
        byte[] any = Any.newBuilder().setTypeUrl("containerd.runc.v1.Options")
                .setValue(Options.getDefaultInstance().toByteString()).build().toByteArray();

        ShimBinary.Result r = start(bundle("p1"), "p1", any);

        assertEquals(0, r.exit(), r.stderr());
        String expected = SocketAddress.of(grpcAddress(), NAMESPACE, "p1");
        assertArrayEquals(expected.getBytes(StandardCharsets.UTF_8), r.stdout());
        sockets.add(SocketAddress.path(expected));
        assertTrue(connect(SocketAddress.path(expected), "containerd.task.v3.Task", "p1") > 0);
    }

    @Test
    void infoPrintsARuntimeInfoWithRuncsFeatures() throws Exception {
        ShimBinary.Result r = ShimBinary.run(dir, new byte[0], "-info");

        assertEquals(0, r.exit(), r.stderr());
        RuntimeInfo info = RuntimeInfo.parseFrom(r.stdout());
        assertEquals("io.containerd.jrunc.v2", info.getName());
        assertEquals("types.containerd.io/opencontainers/runtime-spec/1/features/Features", info.getFeatures().getTypeUrl());
        String features = info.getFeatures().getValue().toStringUtf8();
        String runc = new String(new ProcessBuilder("runc", "features").start().getInputStream().readAllBytes(),
                StandardCharsets.UTF_8);
        assertEquals(runc.strip(), features.strip(), "the features are runc's own");
    }
}
