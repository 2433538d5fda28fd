package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.Any;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import jrunc.core.spi.Spawn;
import jrunc.proto.runc.Options;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** start's plan against a scripted kernel: what it binds, spawns, writes and sets, and what it undoes on failure. */
class StartPlanTest {
    private static final String CONTAINERD = "/run/containerd/containerd.sock";
    private static final List<String> SELF = List.of("/opt/jrunc/bin/containerd-shim-jrunc-v2");

    @TempDir Path dir;
    private Path bundle, socketDir;
    private final FakeOs os = new FakeOs();
    /** The sockets something accepts on, for the probe. */
    private final Set<Path> alive = ConcurrentHashMap.newKeySet();
    private StartPlan plan;

    @BeforeEach
    void setUp() throws IOException {
        bundle = Files.createDirectories(dir.resolve("bundle"));
        socketDir = dir.resolve("s");
        config("{}");
        // the probe as the shim sees it: a listed socket accepts, another file refuses, no file is missing
        plan = new StartPlan(os, new ShimSocket(os, socketDir, socket -> alive.contains(socket) ? SocketProbe.Result.ACCEPTING
                : Files.exists(socket) ? SocketProbe.Result.REFUSED : SocketProbe.Result.MISSING));
    }

    private void config(String annotations) throws IOException {
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"annotations\":" + annotations + "}");
    }

    private StartPlan.Request request(String id, byte[] stdin, String... extraFlags) {
        List<String> args = new java.util.ArrayList<>(List.of("-namespace", "k8s.io", "-address", CONTAINERD, "-id", id));
        args.addAll(List.of(extraFlags));
        args.add("start");
        return new StartPlan.Request(ShimFlags.parse(args), bundle, stdin, SELF, 77, false);
    }

    private String expectedAddress(String group) {
        return "unix://" + socketDir.resolve(SocketAddress.hash(CONTAINERD, "k8s.io", group));
    }

    @Test
    void aNewGroupGetsItsSocketAndADaemonHoldingItAsFd3() throws Exception {
        String address = plan.run(request("c1", new byte[0], "-debug"));

        assertEquals(expectedAddress("c1"), address);
        assertEquals(address, Files.readString(bundle.resolve("address")), "address file: exactly the address");
        assertEquals(List.of(SocketAddress.path(address)), os.listening);
        Spawn daemon = os.spawned.getFirst();
        assertEquals(List.of(SELF.getFirst(), "-namespace", "k8s.io", "-id", "c1", "-address", CONTAINERD, "-debug"),
                daemon.argv());
        assertEquals(bundle, daemon.cwd());
        assertEquals(Set.of(StartPlan.LISTENER_FD), daemon.fds().keySet());
        assertTrue(daemon.newProcessGroup() && daemon.detached(), "its own process group, and nobody waits for it");
        assertTrue(os.closed.contains(daemon.fds().get(StartPlan.LISTENER_FD)), "our copy of the listener is closed");
        assertEquals(-998, os.oomScores.get(1000), "containerd's OOM score + 1");
        assertEquals(List.of(), os.locks, "a fresh bind needs no lock");
    }

    @Test
    void aSpareHandedTheListenerPlacesItselfAsTheDaemonStartWouldHaveSpawned() throws Exception {
        StartPlan.Request r = request("c1", new byte[0]);
        StartPlan.Bound bound = plan.bind(r);
        assertTrue(bound.shim() != null && !bound.shim().spare(), "no ConfigPath: no spare");
        StartPlan.Bound handed = plan.handedOver(r, bound.socket(), 55);
        assertEquals(bound.address(), handed.address(), "the address start printed");
        assertEquals(55, handed.listener());
        plan.adopt(r, handed, 4321);
        assertEquals(-998, os.oomScores.get(4321), "containerd's OOM score + 1, on the spare itself");
        assertEquals(List.of(), os.spawned, "nothing spawned");
    }

    @Test
    void spawnAfterBindIsRunSplitInTwo() throws Exception {
        StartPlan.Request r = request("c2", new byte[0]);
        StartPlan.Bound bound = plan.bind(r);
        assertEquals(expectedAddress("c2"), plan.spawn(r, bound));
        assertEquals(1, os.spawned.size());
        assertTrue(os.closed.contains(bound.listener()), "our copy of the listener is closed");
    }

    @Test
    void tasksOfOneGroupShareTheSocketTheGroupAnnotationNames() throws Exception {
        config("{\"io.containerd.runc.v2.group\":\"pod-a\"}");
        assertEquals(expectedAddress("pod-a"), plan.run(request("c1", new byte[0])));
    }

    @Test
    void aSocketAShimAnswersOnIsReusedWithoutASecondDaemon() throws Exception {
        Path socket = SocketAddress.path(expectedAddress("c1"));
        Files.createDirectories(socketDir);
        Files.createFile(socket);
        alive.add(socket);

        String address = plan.run(request("c1", new byte[0]));

        assertEquals(expectedAddress("c1"), address);
        assertEquals(address, Files.readString(bundle.resolve("address")));
        assertEquals(List.of(), os.spawned, "no daemon spawned");
        assertTrue(Files.exists(socket), "the live shim's socket is left alone");
        assertEquals(List.of(socketDir), os.locks, "the probe ran under the socket directory's lock");
    }

    @Test
    void aSocketNobodyAnswersOnIsReplacedUnderTheLock() throws Exception {
        Path socket = SocketAddress.path(expectedAddress("c1"));
        Files.createDirectories(socketDir);
        Files.createFile(socket);

        plan.run(request("c1", new byte[0]));

        assertEquals(List.of(socketDir), os.locks);
        assertEquals(List.of(socket), os.listening, "bound afresh");
        assertEquals(1, os.spawned.size());
    }

    @Test
    void theShimCgroupOfTheRuncOptionsOnStdinIsJoinedByTheDaemon() throws Exception {
        byte[] stdin = Any.newBuilder().setTypeUrl("containerd.runc.v1.Options")
                .setValue(Options.newBuilder().setShimCgroup("/shims/pod-a").build().toByteString()).build().toByteArray();
        plan.run(request("c1", stdin));
        assertEquals(Map.of(1000, "/shims/pod-a"), os.cgroups);
    }

    @Test
    void theShimCgroupReachesTheDaemonFromContainerd23sBootstrapParamsAndFromLegacyCreateOptions() throws Exception {
        // BootstrapParams: containerd_version=4, extensions=8 { value=1: Any(CreateOptions{shim_cgroup=9}) }
        byte[] legacy = new Wire().string(9, "/shims/legacy").build();
        byte[] params = new Wire().string(1, "c1").string(4, "2.3.0")
                .message(8, new Wire().bytes(1, Wire.any("containerd.linux.runc.CreateOptions", legacy))).build();
        plan.run(request("c1", params));
        assertEquals(Map.of(1000, "/shims/legacy"), os.cgroups);
    }

    @Test
    void optionsOfAnotherTypeOnStdinMeanDefaults() throws Exception {
        byte[] stdin = Any.newBuilder().setTypeUrl("runtimeoptions.v1.Options").build().toByteArray();
        plan.run(request("c1", stdin));
        assertEquals(Map.of(), os.cgroups);
    }

    /** Start's stdin as CRI sends it to a runtime of jrunc's own type: the ConfigPath of a TOML file. */
    private byte[] configPath(String toml) throws IOException {
        Path file = Files.writeString(dir.resolve("jrunc.toml"), toml);
        byte[] cri = new Wire().string(2, file.toString()).build(); // runtimeoptions.v1.Options config_path = 2
        return Any.newBuilder().setTypeUrl("runtimeoptions.v1.Options")
                .setValue(com.google.protobuf.ByteString.copyFrom(cri)).build().toByteArray();
    }

    @Test
    void theHandlersNamespaceGroupingPutsEveryPodOfTheNamespaceOnOneSocket() throws Exception {
        byte[] stdin = configPath("[jrunc]\ngrouping = \"namespace\"\n");
        config("{\"io.kubernetes.cri.sandbox-id\":\"pod-a\"}");
        String first = plan.run(request("c1", stdin));
        assertEquals("unix://" + socketDir.resolve(SocketAddress.hash(CONTAINERD, "k8s.io", "")), first,
                "the socket Go's shim uses for an empty group annotation");
        alive.add(SocketAddress.path(first));
        config("{\"io.kubernetes.cri.sandbox-id\":\"pod-b\"}");
        assertEquals(first, plan.run(request("c2", stdin)), "another pod, the same daemon");
        assertEquals(1, os.spawned.size());
    }

    @Test
    void theHandlersNodeGroupingSharesOneSocketAcrossNamespaces() throws Exception {
        byte[] stdin = configPath("[jrunc]\ngrouping = \"node\"\n");
        String k8s = plan.run(request("c1", stdin));
        StartPlan.Request other = new StartPlan.Request(ShimFlags.parse(List.of("-namespace", "default", "-address",
                CONTAINERD, "-id", "c2", "start")), bundle, stdin, SELF, 77, false);
        alive.add(SocketAddress.path(k8s));
        assertEquals(k8s, plan.run(other));
        assertEquals("unix://" + socketDir.resolve(SocketAddress.hash(CONTAINERD, "", "")), k8s);
    }

    @Test
    void aTasksGroupAnnotationWinsOverTheHandlersGrouping() throws Exception {
        config("{\"io.containerd.runc.v2.group\":\"mine\"}");
        assertEquals(expectedAddress("mine"), plan.run(request("c1", configPath("[jrunc]\ngrouping = \"node\"\n"))));
    }

    @Test
    void aDaemonThatAdoptsTheListenerJoinsTheShimCgroupAndTakesContainerdsOomScoreItself() throws Exception {
        byte[] stdin = Any.newBuilder().setTypeUrl("containerd.runc.v1.Options")
                .setValue(Options.newBuilder().setShimCgroup("/shims/pod-a").build().toByteString()).build().toByteArray();
        StartPlan.Request r = request("c1", stdin);
        StartPlan.Bound bound = plan.bind(r);
        assertFalse(bound.served());
        assertEquals(bound.address(), Files.readString(bundle.resolve("address")));
        plan.adopt(r, bound, 4242);
        assertEquals(List.of(), os.spawned, "nothing spawned: the caller serves the listener");
        assertEquals(Map.of(4242, "/shims/pod-a"), os.cgroups);
        assertEquals(-998, os.oomScores.get(4242));
    }

    @Test
    void anAbandonedListenerIsClosedAndItsSocketRemoved() throws Exception {
        StartPlan.Bound bound = plan.bind(request("c1", new byte[0]));
        plan.abandon(bound);
        assertTrue(os.closed.contains(bound.listener()));
        assertFalse(Files.exists(bound.socket()));
    }

    @Test
    void aFailureAfterTheSpawnKillsTheDaemonAndRemovesTheSocketItBound() throws Exception {
        os.oomScoreFailure = new IOException("write /proc/1000/oom_score_adj: Permission denied");
        IOException e = assertThrows(IOException.class, () -> plan.run(request("c1", new byte[0])));
        assertEquals("write /proc/1000/oom_score_adj: Permission denied", e.getMessage());
        assertEquals(List.of(1000), os.killed, "the daemon is killed");
        assertFalse(Files.exists(SocketAddress.path(expectedAddress("c1"))), "our socket is removed");
    }

    @Test
    void schedCoreAsksForACookieBeforeTheSpawn() throws Exception {
        plan.run(new StartPlan.Request(request("c1", new byte[0]).flags(), bundle, new byte[0], SELF, 77, true));
        assertEquals(1, os.schedCoreCookies);
    }
}
