package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import jrunc.core.ttrpc.FrameHeader;
import jrunc.core.ttrpc.TtrpcClient;
import jrunc.proto.task.ConnectRequest;
import jrunc.proto.task.ConnectResponse;
import jrunc.proto.ttrpc.KeyValue;
import jrunc.proto.ttrpc.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon serves only its own uid and gid, as containerd's shim does (containerd v1.6.20
 * runtime/v2/shim/shim_linux.go, ttrpc.UnixSocketRequireSameUser): even with the socket's permissions opened up, a
 * client of another uid, or of root's uid with another gid, is disconnected without an answer, and the shim goes
 * on serving its own. The other uid is a throwaway system user the test makes and removes.
 */
class PeerCredentialsJruncIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private String user;
    private int uid, gid;
    private Process shim;
    private Path socket;

    @BeforeEach
    void throwawayUserAndShim() throws Exception {
        user = "jrunc-peer-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
        run(List.of("useradd", "--system", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", user));
        uid = Integer.parseInt(run(List.of("id", "-u", user)).strip());
        gid = Integer.parseInt(run(List.of("id", "-g", user)).strip());

        // the shim serves on a socket of the test's own directory, opened up to everyone: only SO_PEERCRED is left
        Path sockets = Files.createDirectories(dir.resolve("s"));
        socket = sockets.resolve("shim.sock");
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), "{}");
        ProcessBuilder pb = new ProcessBuilder(ShimBinary.shim().toString(), "-namespace", "peer-it", "-id", "c1",
                "-address", dir.resolve("containerd.sock").toString(), "-socket", socket.toString())
                .directory(bundle.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("shim.log").toFile()));
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        shim = pb.start();
        assertTrue(Poll.until(WAIT, () -> Files.exists(socket)), "the shim never bound " + socket);
        for (Path p : List.of(dir, sockets)) Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
    }

    @AfterEach
    void removeShimAndUser() throws Exception {
        if (shim != null) {
            shim.destroyForcibly();
            shim.waitFor();
        }
        if (user != null) run(List.of("userdel", user));
    }

    @Test
    void aClientOfAnotherUidIsDisconnectedWithoutAnAnswer() throws Exception {
        assertEquals("closed", probe("--reuid=" + uid, "--regid=" + gid, "--clear-groups"));
        assertServesItsOwn();
    }

    @Test
    void aClientOfRootsUidWithAnotherGidIsDisconnectedToo() throws Exception {
        assertEquals("closed", probe("--regid=" + gid, "--clear-groups"));
        assertServesItsOwn();
    }

    @Test
    void theProbeIsAnsweredWhenItRunsAsTheShimsOwnUser() throws Exception {
        assertTrue(probe().startsWith("answered "), "the probe itself works");
    }

    /** A Connect from the shim's own uid and gid is answered with the shim's pid. */
    private void assertServesItsOwn() throws Exception {
        try (TtrpcClient client = new TtrpcClient(socket)) {
            ConnectResponse r = ConnectResponse.parseFrom(client.call(ShimDaemon.TASK, "Connect",
                    ConnectRequest.newBuilder().setId("c1").build().toByteArray(),
                    java.util.Map.of("containerd-namespace-ttrpc", "peer-it"), WAIT));
            assertEquals(shim.pid(), r.getShimPid());
        }
    }

    /**
     * Sends one Connect Request frame from a JVM run through {@code setpriv} with {@code privileges} (none: as
     * root) and returns what came back: {@code closed} when the shim hung up without a word, {@code answered N}
     * with the length of its Response.
     */
    private String probe(String... privileges) throws Exception {
        Path source = dir.resolve("PeerProbe.java");
        Files.writeString(source, PROBE);
        Files.setPosixFilePermissions(source, PosixFilePermissions.fromString("rw-r--r--"));
        Request connect = Request.newBuilder().setService(ShimDaemon.TASK).setMethod("Connect")
                .setPayload(ConnectRequest.newBuilder().setId("c1").build().toByteString())
                .addMetadata(KeyValue.newBuilder().setKey("containerd-namespace-ttrpc").setValue("peer-it")).build();
        java.nio.ByteBuffer frame = java.nio.ByteBuffer.allocate(FrameHeader.SIZE + connect.getSerializedSize());
        FrameHeader.of(connect.getSerializedSize(), 1, FrameHeader.TYPE_REQUEST).writeTo(frame);
        frame.put(connect.toByteArray());
        List<String> argv = new ArrayList<>();
        if (privileges.length > 0) {
            argv.add("setpriv");
            argv.addAll(List.of(privileges));
            argv.add("--");
        }
        argv.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:-UsePerfData",
                "-Xshare:off", source.toString(), socket.toString(), HexFormat.of().formatHex(frame.array())));
        return run(argv).strip();
    }

    private static final String PROBE = """
            import java.net.UnixDomainSocketAddress;
            import java.nio.ByteBuffer;
            import java.nio.channels.SocketChannel;
            import java.util.HexFormat;

            public class PeerProbe {
                public static void main(String[] args) throws Exception {
                    try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(args[0]))) {
                        ByteBuffer out = ByteBuffer.wrap(HexFormat.of().parseHex(args[1]));
                        ByteBuffer in = ByteBuffer.allocate(65536);
                        int total = 0;
                        try {
                            // a shim that refuses may hang up before the frame is written (EPIPE) or read (ECONNRESET)
                            while (out.hasRemaining()) ch.write(out);
                            for (int n; total < 10 && (n = ch.read(in)) > 0; ) total += n;
                        } catch (java.io.IOException hungUp) {
                            // the shim hung up
                        }
                        System.out.println(total == 0 ? "closed" : "answered " + total);
                    }
                }
            }
            """;

    private String run(List<String> argv) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "cmd", ".out");
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", argv) + " failed: " + Files.readString(out));
        }
        return Files.readString(out);
    }
}
