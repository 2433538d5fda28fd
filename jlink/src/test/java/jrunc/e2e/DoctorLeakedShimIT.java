package jrunc.e2e;

import static jrunc.e2e.HostileNode.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jrunc.core.manager.SocketAddress;
import jrunc.core.ttrpc.TtrpcClient;
import jrunc.proto.task.ConnectRequest;
import jrunc.proto.task.ConnectResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A leaked shim whose bundle still exists (containerd#6860): containerd ran the shim's {@code start}, which spawned
 * the daemon and wrote {@code address}, and died before {@code Create}. A live daemon, a bundle naming its socket,
 * no task. Laid out exactly so, on Go's {@code containerd-shim-runc-v2} and on ours: {@code start} run in the bundle
 * the way containerd runs it (config.json, a held {@code log} FIFO), and nothing after.
 *
 * <p>The doctor asks each shim read-only over ttrpc ({@code Connect}, {@code State}); one that knows none of its
 * bundles, all older than the grace period, is a {@code leaked-shim}, and {@code clean --yes ID} shuts it down.
 * A bundle within the grace period (a create in flight) is neither reported nor touched.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DoctorLeakedShimIT {
    private static final String NS = "leak";
    private static final Path GO_SHIM = Path.of("/usr/bin/containerd-shim-runc-v2");
    /** containerd 1.6 puts every shim socket here, whatever its state directory. */
    private static final String SOCKET_DIR = SocketAddress.SOCKET_DIR;

    private record Started(String id, Path bundle, Path socket, int pid) {
        boolean alive() {
            return DoctorCrashIT.running(pid);
        }
    }

    @Test
    void aShimThatNeverGotCreateIsFoundAndShutDownWhileACreateInFlightIsLeftAlone() throws Exception {
        List<RandomAccessFile> logHolders = new ArrayList<>();
        List<Started> started = new ArrayList<>();
        try (HostileNode node = new HostileNode()) {
            String containerd = node.root.resolve("containerd.sock").toString(); // nobody listens: containerd died
            Started goOld = start(node, GO_SHIM, "go-old", containerd, logHolders, started);
            Started jOld = start(node, Shim.JRUNC.binary(), "j-old", containerd, logHolders, started);
            Started goFresh = start(node, GO_SHIM, "go-fresh", containerd, logHolders, started);
            Started jFresh = start(node, Shim.JRUNC.binary(), "j-fresh", containerd, logHolders, started);
            // As if containerd had died an hour ago: every file of the two old bundles is past the grace period.
            for (Started s : List.of(goOld, jOld)) backdate(s.bundle());

            CtrResult scan = node.doctor("scan", "--json", "--socket-dir", SOCKET_DIR, "--namespace", NS);
            System.out.println("[doctor] scan with leaked shims:\n" + scan.stdout());
            assertEquals(1, scan.exitCode(), scan::describe);
            JsonNode findings = json(scan).path("findings");
            for (Started s : List.of(goOld, jOld)) {
                JsonNode leaked = find(findings, s.id(), "leaked-shim");
                assertEquals(s.pid(), leaked.path("pid").asInt(), leaked.toString());
                assertEquals(s.socket().toString(), leaked.path("socket").asText());
                assertEquals(List.of(s.id()), List.of(leaked.path("bundles").get(0).asText()));
                find(findings, s.id(), "dead-shim-bundle");
            }
            for (JsonNode f : findings) {
                assertTrue(List.of("go-old", "j-old").contains(f.path("id").asText()), "a create in flight was reported: " + f);
            }
            JsonNode plain = json(node.doctor("clean", "--dry-run", "--json", "--socket-dir", SOCKET_DIR, "--namespace", NS));
            assertEquals(0, plain.path("actions").size(), "a live daemon is only stopped when named: " + plain);

            CtrResult clean = node.doctor("clean", "--yes", "--json", "--socket-dir", SOCKET_DIR, "--namespace", NS,
                    "go-old", "j-old");
            System.out.println("[doctor] clean --yes of the leaked shims:\n" + clean.stdout());
            assertEquals(0, clean.exitCode(), clean::describe);
            for (JsonNode a : json(clean).path("actions")) {
                if (a.path("action").asText().equals("shutdown-shim")) {
                    assertTrue(a.path("outcome").asText().startsWith("shut down"), "asked, not killed: " + a);
                }
            }
            for (Started s : List.of(goOld, jOld)) {
                assertTrue(Poll.until(Duration.ofSeconds(10), () -> !s.alive()), "leaked shim still running: " + s);
                assertFalse(Files.exists(s.bundle()), "bundle left: " + s);
                assertFalse(Files.exists(s.socket()), "socket left: " + s);
            }
            for (Started s : List.of(goFresh, jFresh)) {
                assertTrue(s.alive(), "a shim with a create in flight was stopped: " + s);
                assertTrue(Files.exists(s.bundle().resolve("address")) && Files.exists(s.socket()), s.toString());
            }
        } finally {
            for (Started s : started) {
                if (s.alive()) ProcessHandle.of(s.pid()).ifPresent(ProcessHandle::destroyForcibly);
                Files.deleteIfExists(s.socket());
            }
            for (RandomAccessFile f : logHolders) f.close();
        }
    }

    /** {@code <shim> -namespace leak -address <dead containerd> -id ID start} in a fresh bundle, as containerd runs it. */
    private static Started start(HostileNode node, Path binary, String id, String containerd,
                                 List<RandomAccessFile> logHolders, List<Started> started) throws Exception {
        Path bundle = node.bundle(NS, id);
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"annotations\":{}}");
        HostileNode.run("mkfifo", "-m", "0700", bundle.resolve("log").toString());
        logHolders.add(new RandomAccessFile(bundle.resolve("log").toFile(), "rw")); // containerd holds the log open
        ProcessBuilder pb = new ProcessBuilder(binary.toString(), "-namespace", NS, "-address", containerd,
                "-publish-binary", "/usr/bin/containerd", "-id", id, "start")
                .directory(bundle.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, binary + " start: " + out + err);
        Path socket = SocketAddress.path(out.strip());
        int pid;
        try (TtrpcClient client = new TtrpcClient(socket)) {
            pid = ConnectResponse.parseFrom(client.call("containerd.task.v2.Task", "Connect",
                    ConnectRequest.newBuilder().setId(id).build().toByteArray(),
                    Map.of("containerd-namespace-ttrpc", NS), Duration.ofSeconds(10))).getShimPid();
        }
        Started s = new Started(id, bundle, socket, pid);
        started.add(s);
        return s;
    }

    private static void backdate(Path bundle) throws Exception {
        try (Stream<Path> entries = Files.list(bundle)) {
            List<String> argv = new ArrayList<>(List.of("touch", "-h", "-d", "2 hours ago", bundle.toString()));
            entries.forEach(e -> argv.add(e.toString()));
            HostileNode.run(argv.toArray(String[]::new));
        }
    }

    private static JsonNode find(JsonNode findings, String id, String kind) {
        for (JsonNode f : findings) {
            if (f.path("id").asText().equals(id) && f.path("kind").asText().equals(kind)) return f;
        }
        throw new AssertionError("no " + kind + " for " + id + " in " + findings);
    }
}
