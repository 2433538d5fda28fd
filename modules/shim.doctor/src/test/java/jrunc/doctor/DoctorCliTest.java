package jrunc.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import jrunc.core.doctor.NodeSnapshot;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.StopResult;
import jrunc.core.spi.OperatingSystem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** shim-doctor as a runbook uses it: arguments in, exit status and output out, against a node in a temp dir. */
class DoctorCliTest {
    private static final String CONTAINERD = "/run/containerd/containerd.sock";
    @TempDir Path tmp;
    private Path state, sockets, runc;
    private final List<ServerSocketChannel> liveShims = new ArrayList<>();
    private final List<String> stopped = new ArrayList<>();
    private StringWriter out, err;

    @BeforeEach
    void node() throws IOException {
        state = Files.createDirectories(tmp.resolve("state"));
        sockets = Files.createDirectories(tmp.resolve("s"));
        runc = Files.createDirectories(tmp.resolve("runc"));
    }

    @AfterEach
    void closeShims() throws IOException {
        for (ServerSocketChannel ch : liveShims) ch.close();
    }

    private Path task(String id, boolean live) throws IOException {
        Path b = Files.createDirectories(state.resolve(NodeSnapshot.TASK_DIR).resolve("default").resolve(id).resolve("rootfs")).getParent();
        Path socket = sockets.resolve(SocketAddress.hash(CONTAINERD, "default", id));
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        ch.bind(UnixDomainSocketAddress.of(socket));
        if (live) liveShims.add(ch);
        else ch.close(); // the file stays, nobody listens: a SIGKILLed shim's socket
        Files.writeString(b.resolve("address"), SocketAddress.UNIX_PREFIX + socket);
        Files.writeString(b.resolve("config.json"), "{}");
        return b;
    }

    private int run(boolean terminal, String... args) {
        return run(OperatingSystem.load(), terminal, args);
    }

    private int run(OperatingSystem os, boolean terminal, String... args) {
        out = new StringWriter();
        err = new StringWriter();
        Env env = new Env(new PrintWriter(out, true), new PrintWriter(err, true), terminal, q -> false,
                (bundle, ns, id, root) -> {
                    stopped.add(ns + "/" + id);
                    return new StopResult(0, 137, Instant.now(), List.of());
                },
                os, Path.of("/proc"), null);
        List<String> argv = new ArrayList<>(List.of(args));
        argv.addAll(List.of("--state", state.toString(), "--socket-dir", sockets.toString(), "--runc-root",
                runc.toString(), "--lock", tmp.resolve("lock").toString()));
        return DoctorMain.run(argv.toArray(String[]::new), env);
    }

    private List<Path> tree() throws IOException {
        try (Stream<Path> s = Files.walk(tmp)) {
            return s.filter(p -> !p.getFileName().toString().equals("lock")).sorted().toList();
        }
    }

    @Test
    void scanOfACleanNodeExitsZero() {
        assertEquals(0, run(false, "scan"));
        assertEquals("no leftovers", out.toString().strip());
    }

    @Test
    void scanReportsTheDeadBundleAndNotTheLiveOneAndExitsOne() throws IOException {
        task("alive", true);
        task("dead", false);
        assertEquals(1, run(false, "scan"));
        String[] lines = out.toString().strip().split("\n");
        assertTrue(lines[0].matches("NAMESPACE +ID +KIND +PATH +DETAIL"), lines[0]);
        assertTrue(Stream.of(lines).skip(1).allMatch(l -> l.startsWith("default    dead ")), out.toString());
    }

    @Test
    void scanJsonIsOneDocumentWithTheDocumentedShape() throws IOException {
        task("alive", true);
        task("dead", false);
        assertEquals(1, run(false, "scan", "--json"));
        JsonNode doc = new ObjectMapper().readTree(out.toString());
        assertEquals("jrunc.shim-doctor/v1", doc.path("schema").asText());
        assertEquals("scan", doc.path("command").asText());
        List<String> kinds = new ArrayList<>();
        for (JsonNode f : doc.path("findings")) {
            for (String field : List.of("namespace", "id", "kind", "path", "detail")) {
                assertTrue(f.has(field), field + " in " + f);
            }
            assertEquals("dead", f.path("id").asText());
            kinds.add(f.path("kind").asText());
        }
        assertEquals(List.of("dead-shim-bundle", "orphaned-socket"), kinds);
        assertEquals(2, doc.path("summary").path("findings").asInt());
        assertEquals(1, doc.path("summary").path("exitCode").asInt());
        assertFalse(doc.has("actions"), "scan plans nothing");
    }

    @Test
    void dryRunPrintsThePlanAndChangesNothing() throws IOException {
        task("dead", false);
        List<Path> before = tree();
        assertEquals(1, run(false, "clean", "--dry-run", "--json"));
        assertEquals(before, tree());
        assertTrue(stopped.isEmpty());
        JsonNode doc = new ObjectMapper().readTree(out.toString());
        List<String> actions = new ArrayList<>();
        doc.path("actions").forEach(a -> actions.add(a.path("action").asText() + ":" + a.path("status").asText()));
        assertEquals(List.of("stop:planned", "remove-socket:planned", "remove-bundle:planned"), actions);
        assertTrue(doc.path("dryRun").asBoolean());
    }

    @Test
    void cleanYesStopsTheDeadBundleRemovesItAndLeavesTheLiveOne() throws IOException {
        Path alive = task("alive", true);
        Path dead = task("dead", false);
        assertEquals(0, run(false, "clean", "--yes"), out + "" + err);
        assertEquals(List.of("default/dead"), stopped);
        assertFalse(Files.exists(dead));
        assertTrue(Files.exists(alive.resolve("address")));
        assertTrue(out.toString().contains("node clean"), out.toString());
        assertEquals(0, run(false, "scan"));
    }

    @Test
    void cleanOnlyTouchesTheIdsGiven() throws IOException {
        Path a = task("a", false);
        Path b = task("b", false);
        assertEquals(0, run(false, "clean", "--yes", "b"));
        assertTrue(Files.exists(a));
        assertFalse(Files.exists(b));
        assertEquals(1, run(false, "scan"));
    }

    @Test
    void cleanWithoutYesOrDryRunOutsideATerminalRefuses() throws IOException {
        task("dead", false);
        List<Path> before = tree();
        assertEquals(2, run(false, "clean"));
        assertTrue(err.toString().contains("refusing"), err.toString());
        assertEquals(before, tree());
    }

    @Test
    void cleanOnATerminalAsksAndANoChangesNothing() throws IOException {
        task("dead", false);
        List<Path> before = tree();
        assertEquals(1, run(true, "clean"));
        assertTrue(out.toString().contains("nothing done"), out.toString());
        assertEquals(before, tree());
    }

    @Test
    void dryRunAndYesTogetherIsAUsageError() {
        assertEquals(2, run(false, "clean", "--dry-run", "--yes"));
    }

    @Test
    void unknownCommandOrOptionIsAUsageError() {
        assertEquals(2, run(false, "frobnicate"));
        assertEquals(2, run(false, "scan", "--bogus"));
        assertEquals(2, run(false));
    }

    @Test
    void cleanRefusesWhileAnotherCleanHoldsTheLock() throws IOException {
        task("dead", false);
        try (CleanLock held = CleanLock.acquire(tmp.resolve("lock"))) {
            assertEquals(2, run(false, "clean", "--yes"));
            assertTrue(err.toString().contains("another shim-doctor clean is running"), err.toString());
        }
        assertTrue(stopped.isEmpty());
    }

    @Test
    void showListsOneIdsLeftoversAndThePlan() throws IOException {
        task("dead", false);
        task("other", false);
        assertEquals(1, run(false, "show", "dead"));
        assertFalse(out.toString().contains("other"), out.toString());
        assertTrue(out.toString().contains("clean would:"), out.toString());
        assertEquals(0, run(false, "show", "nothing-here"));
    }

    @Test
    void namespaceOptionWorksBeforeOrAfterTheCommand() throws IOException {
        task("dead", false);
        assertEquals(0, run(false, "--namespace", "k8s.io", "scan"));
        assertEquals(1, run(false, "scan", "--namespace", "default"));
    }

    @Test
    void versionExitsZero() {
        assertEquals(0, run(false, "--version"));
        assertTrue(out.toString().startsWith("shim-doctor "), out.toString());
    }

    @Test
    void collectWritesEachLeftoversFilesAndAManifestAndChangesNothing() throws Exception {
        Path dead = task("dead", false);
        Files.writeString(dead.resolve("init.pid"), "999999999");
        Files.writeString(dead.resolve("log.json"), "{\"level\":\"error\",\"msg\":\"old\"}\n".repeat(5000)
                                                   + "{\"level\":\"error\",\"msg\":\"the last words\"}\n");
        task("alive", true);
        List<Path> before = tree();
        Path out = tmp.resolve("evidence.tar.gz");

        assertEquals(1, run(false, "collect", "--out", out.toString()), err.toString());

        List<Path> after = new ArrayList<>(tree());
        after.remove(out);
        assertEquals(before, after, "collect changes nothing but writes its file");
        List<String> names = tar("-tzf", out.toString()).lines().toList();
        String base = CollectCommand.ROOT + "default/dead/bundle/";
        assertTrue(names.containsAll(List.of(CollectCommand.ROOT + "manifest.json", base + "address",
                base + "config.json", base + "init.pid", base + "log.json",
                CollectCommand.ROOT + "default/dead/mountinfo.txt")), names.toString());
        assertTrue(names.stream().noneMatch(n -> n.contains("/alive/")), "a live bundle is nobody's evidence: " + names);
        String log = tar("-xzOf", out.toString(), base + "log.json");
        assertTrue(log.endsWith("the last words\"}\n"), "log.json keeps its tail");
        assertTrue(log.length() <= 64 * 1024);
        JsonNode manifest = new ObjectMapper().readTree(tar("-xzOf", out.toString(), CollectCommand.ROOT + "manifest.json"));
        assertEquals("collect", manifest.path("command").asText());
        // dead-shim-bundle, stale-init-pid, orphaned-socket: what a scan reports
        assertEquals(3, manifest.path("findings").size(), manifest.toString());
        boolean logCut = false;
        for (JsonNode f : manifest.path("files")) {
            if (f.path("name").asText().endsWith("bundle/log.json")) logCut = f.path("truncated").asBoolean();
        }
        assertTrue(logCut, "the manifest says log.json was cut: " + manifest.path("files"));
    }

    @Test
    void collectOfACleanNodeExitsZeroWithAnEmptyManifest() throws Exception {
        Path out = tmp.resolve("evidence.tar.gz");
        assertEquals(0, run(false, "collect", "--out", out.toString(), "--json"));
        assertEquals(0, new ObjectMapper().readTree(this.out.toString()).path("findings").size());
        assertEquals(List.of(CollectCommand.ROOT + "manifest.json"), tar("-tzf", out.toString()).lines().toList());
    }

    @Test
    void tarNamesLongerThanUstarAllowsSurviveThroughPax() throws Exception {
        Path out = tmp.resolve("long.tar.gz");
        String longName = "a/" + "x".repeat(120) + "/" + "y".repeat(180);
        String split = "b/" + "p".repeat(140) + "/" + "n".repeat(90);
        try (TarGz tar = new TarGz(Files.newOutputStream(out), 0)) {
            tar.add(longName, "long".getBytes());
            tar.add(split, "split".getBytes());
            tar.add("short", new byte[0]);
        }
        assertEquals(List.of(longName, split, "short"), tar("-tzf", out.toString()).lines().toList());
        assertEquals("long", tar("-xzOf", out.toString(), longName));
        assertEquals("split", tar("-xzOf", out.toString(), split));
    }

    private static String tar(String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("tar"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", argv) + ": " + text);
        return text;
    }

    /** The one JSON document of a failed run: its error object's kind, and exit status 2 in it and from the run. */
    private String jsonError(int exit) throws IOException {
        assertEquals(2, exit, out + "" + err);
        JsonNode doc = new ObjectMapper().readTree(out.toString());
        assertEquals("jrunc.shim-doctor/v1", doc.path("schema").asText());
        assertEquals(2, doc.path("summary").path("exitCode").asInt());
        assertTrue(doc.path("error").path("message").asText().length() > 0, doc.toString());
        return doc.path("error").path("kind").asText();
    }

    @Test
    void everyJsonFailureIsOneDocumentWithAnErrorObjectAndExitTwo() throws IOException {
        task("dead", false);
        assertEquals("usage", jsonError(run(false, "scan", "--json", "--bogus")));
        assertEquals("refused", jsonError(run(false, "clean", "--json")));
        try (CleanLock held = CleanLock.acquire(tmp.resolve("lock"))) {
            assertEquals("lock", jsonError(run(false, "clean", "--yes", "--json")));
        }
        assertTrue(stopped.isEmpty());
    }

    @Test
    void anUnreadableNodeIsAnErrorNotACleanNode() throws IOException {
        Files.writeString(state.resolve(NodeSnapshot.TASK_DIR), "not a directory");
        assertEquals(2, run(false, "scan"));
        assertEquals("node", jsonError(run(false, "scan", "--json")));
    }

    @Test
    void anOutOfMemoryErrorExitsTwoWithItsDocument() throws IOException {
        task("dead", false);
        OperatingSystem real = OperatingSystem.load();
        OperatingSystem starved = (OperatingSystem) java.lang.reflect.Proxy.newProxyInstance(
                OperatingSystem.class.getClassLoader(), new Class<?>[] {OperatingSystem.class}, (proxy, method, margs) -> {
                    if (method.getName().equals("readRegularFile")) throw new OutOfMemoryError("Java heap space");
                    try {
                        return method.invoke(real, margs);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        assertEquals("internal", jsonError(run(starved, false, "scan", "--json")));
        assertEquals(2, run(starved, false, "scan"));
    }

    @Test
    void anIdHoldingANewlineCannotForgeATableRow() throws IOException {
        Path forged = Files.createDirectories(state.resolve(NodeSnapshot.TASK_DIR).resolve("default")
                .resolve("x\ndefault    forged   dead-shim-bundle"));
        Files.writeString(forged.resolve("config.json"), "{}");
        assertEquals(1, run(false, "scan"));
        List<String> lines = out.toString().strip().lines().toList();
        assertEquals(2, lines.size(), out.toString());
        assertTrue(lines.get(1).contains("x\\ndefault"), lines.get(1));
        assertTrue(lines.get(1).contains("unsafe-name"), lines.get(1));
        assertEquals(0, run(false, "clean", "--yes") == 1 ? 0 : 1, "it is left: still reported");
        assertTrue(Files.isDirectory(forged), "never acted on");
        assertTrue(stopped.isEmpty());
    }

    @Test
    void dryRunPrintsExactlyTheActionsYesCarriesOut() throws IOException {
        task("a", false);
        task("b", false);
        task("alive", true);
        assertEquals(1, run(false, "clean", "--dry-run", "--json"));
        List<String> planned = new ArrayList<>();
        new ObjectMapper().readTree(out.toString()).path("actions")
                .forEach(a -> planned.add(a.path("action").asText() + " " + a.path("target").asText()));
        assertEquals(0, run(false, "clean", "--yes", "--json"));
        List<String> done = new ArrayList<>();
        new ObjectMapper().readTree(out.toString()).path("actions")
                .forEach(a -> done.add(a.path("action").asText() + " " + a.path("target").asText()));
        assertEquals(planned, done);
        assertEquals(6, done.size(), done.toString());
    }
}
