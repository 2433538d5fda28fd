package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jrunc.core.manager.SocketAddress;
import jrunc.core.ttrpc.Code;
import jrunc.core.ttrpc.TtrpcClient;
import jrunc.core.ttrpc.TtrpcException;
import jrunc.proto.task.ConnectRequest;
import jrunc.proto.task.ConnectResponse;
import jrunc.proto.task.ShutdownRequest;
import jrunc.proto.task.StateRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code start} as containerd runs it, in a bundle holding config.json and a {@code log} FIFO that something holds
 * open (containerd holds its end read-write). Each test uses its own {@code -address}, so its socket hash is unique.
 */
class ShimStartIT {
    private static final String TASK = "containerd.task.v2.Task";
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

    private Path bundle(String name, String groupAnnotation) throws Exception {
        Path bundle = Files.createDirectories(dir.resolve(name));
        String annotations = groupAnnotation == null ? "" : "\"io.containerd.runc.v2.group\":\"" + groupAnnotation + "\"";
        Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"annotations\":{" + annotations + "}}");
        RuncFixture.run("mkfifo", "-m", "0700", bundle.resolve("log").toString());
        logHolders.add(new RandomAccessFile(bundle.resolve("log").toFile(), "rw"));
        return bundle;
    }

    private String containerdAddress() {
        return dir.resolve("containerd.sock").toString();
    }

    private ShimBinary.Result start(Path bundle, String id) throws Exception {
        ShimBinary.Result r = ShimBinary.run(bundle, new byte[0], "-namespace", "jrunc-it", "-address",
                containerdAddress(), "-publish-binary", "/usr/bin/containerd", "-id", id, "start");
        if (r.exit() == 0) sockets.add(SocketAddress.path(r.out()));
        return r;
    }

    private static ConnectResponse connect(Path socket, String id) throws Exception {
        try (TtrpcClient client = new TtrpcClient(socket)) {
            byte[] resp = client.call(TASK, "Connect", ConnectRequest.newBuilder().setId(id).build().toByteArray(),
                    Map.of("containerd-namespace-ttrpc", "jrunc-it"), Duration.ofSeconds(5));
            return ConnectResponse.parseFrom(resp);
        }
    }

    /** A daemon {@code start} spawned for one task in a fresh bundle, answering Connect; killed after the test. */
    private record Daemon(Path bundle, ShimBinary.Result start, Path socket, int pid) {}

    private Daemon startDaemon(String id) throws Exception {
        Path bundle = bundle("b-" + id, null);
        ShimBinary.Result r = start(bundle, id);
        assertEquals(0, r.exit(), r.stderr());
        Path socket = SocketAddress.path(r.out());
        int pid = connect(socket, id).getShimPid();
        daemons.add((long) pid);
        return new Daemon(bundle, r, socket, pid);
    }

    private static void assertExitedAndSocketRemoved(Daemon d) throws InterruptedException {
        assertTrue(Poll.until(Duration.ofSeconds(10), () -> ProcessHandle.of(d.pid()).map(p -> !p.isAlive()).orElse(true)),
                "the daemon exited");
        assertFalse(Files.exists(d.socket()), "its socket was removed");
    }

    @Test
    void printsExactlyTheHashedAddressAndTheSocketAnswersConnectWithTheDaemonsPid() throws Exception {
        Daemon d = startDaemon("c1");

        String expected = SocketAddress.of(containerdAddress(), "jrunc-it", "c1");
        assertEquals(expected, d.start().out(), "stdout is the address and nothing else");
        assertEquals("", d.start().stderr(), "nothing on stderr: containerd reads both streams as the address");
        assertArrayEquals(expected.getBytes(StandardCharsets.UTF_8), Files.readAllBytes(d.bundle().resolve("address")),
                "address file: exactly the address, no newline");

        long daemon = d.pid();
        ProcessHandle handle = ProcessHandle.of(daemon).orElseThrow();
        assertTrue(handle.info().commandLine().orElse("").contains("jrunc.cli.ShimMain"), handle.info().toString());
        String stat = Files.readString(Path.of("/proc/" + daemon + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        assertEquals(String.valueOf(daemon), fields[2], "the daemon leads its own process group");
    }

    @Test
    void otherMethodsAnswerAStatusNotACrash() throws Exception {
        Path socket = startDaemon("c1").socket();
        try (TtrpcClient client = new TtrpcClient(socket)) {
            TtrpcException e = org.junit.jupiter.api.Assertions.assertThrows(TtrpcException.class, () -> client.call(TASK,
                    "Bogus", new byte[0], Map.of(), Duration.ofSeconds(5)));
            assertEquals(Code.UNIMPLEMENTED, e.code());
            // a payload that does not decode as the request
            e = org.junit.jupiter.api.Assertions.assertThrows(TtrpcException.class, () -> client.call(TASK,
                    "Connect", new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}, Map.of(), Duration.ofSeconds(5)));
            assertEquals(Code.INVALID_ARGUMENT, e.code());
        }
        assertTrue(connect(socket, "c1").getShimPid() > 0, "the daemon still serves");
    }

    @Test
    void twoBundlesOfOneGroupShareOneDaemonAndOneAddress() throws Exception {
        Path b1 = bundle("b1", "pod-a");
        Path b2 = bundle("b2", "pod-a");
        ShimBinary.Result r1 = start(b1, "c1");
        ShimBinary.Result r2 = start(b2, "c2");
        assertEquals(0, r1.exit(), r1.stderr());
        assertEquals(0, r2.exit(), r2.stderr());
        assertEquals(SocketAddress.of(containerdAddress(), "jrunc-it", "pod-a"), r1.out());
        assertEquals(r1.out(), r2.out());
        assertEquals(r1.out(), Files.readString(b2.resolve("address")));
        int pid1 = connect(SocketAddress.path(r1.out()), "c1").getShimPid();
        int pid2 = connect(SocketAddress.path(r2.out()), "c2").getShimPid();
        daemons.add((long) pid1);
        assertEquals(pid1, pid2, "one daemon serves the group");
        long shims = ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains(containerdAddress())).count();
        assertEquals(1, shims, "no second daemon was spawned");
    }

    @Test
    void joinsTheShimCgroupFromTheOptionsOnStdinAndScoresJustAboveItsParentForTheOomKiller() throws Exception {
        Path bundle = bundle("b1", null);
        String cgroup = "/jrunc-it-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path procs = Path.of("/sys/fs/cgroup/memory" + cgroup, "cgroup.procs");
        if (!Files.isDirectory(Path.of("/sys/fs/cgroup/memory"))) procs = Path.of("/sys/fs/cgroup" + cgroup, "cgroup.procs");
        byte[] options = com.google.protobuf.Any.newBuilder().setTypeUrl("containerd.runc.v1.Options")
                .setValue(jrunc.proto.runc.Options.newBuilder().setShimCgroup(cgroup).build().toByteString())
                .build().toByteArray();
        int parentScore = Integer.parseInt(Files.readString(Path.of("/proc/self/oom_score_adj")).trim());
        try {
            ShimBinary.Result r = ShimBinary.run(bundle, options, "-namespace", "jrunc-it", "-address",
                    containerdAddress(), "-id", "c1", "start");
            assertEquals(0, r.exit(), r.stderr());
            sockets.add(SocketAddress.path(r.out()));
            int daemon = connect(SocketAddress.path(r.out()), "c1").getShimPid();
            daemons.add((long) daemon);
            assertTrue(Files.readAllLines(procs).contains(String.valueOf(daemon)), "daemon in " + procs);
            assertEquals(String.valueOf(Math.min(parentScore + 1, 1000)),
                    Files.readString(Path.of("/proc/" + daemon + "/oom_score_adj")).trim());
        } finally {
            for (long pid : daemons) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            for (long pid : daemons) Poll.until(Duration.ofSeconds(5), () -> ProcessHandle.of(pid).isEmpty());
            removeCgroupEverywhere(cgroup);
        }
    }

    /** The daemon joined every hierarchy: remove the test cgroup from each once it is empty. */
    private static void removeCgroupEverywhere(String cgroup) throws Exception {
        try (var hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                Path dir = Path.of(h + cgroup);
                if (Files.isDirectory(dir)) {
                    Poll.until(Duration.ofSeconds(5), () -> {
                        try {
                            Files.delete(dir);
                            return true;
                        } catch (java.io.IOException e) {
                            return false;
                        }
                    });
                }
            }
        }
        Path unified = Path.of("/sys/fs/cgroup" + cgroup);
        if (Files.isDirectory(unified)) Files.delete(unified);
    }

    @Test
    void aStaleSocketFileIsReplaced() throws Exception {
        Path bundle = bundle("b1", null);
        Path socket = SocketAddress.path(SocketAddress.of(containerdAddress(), "jrunc-it", "c1"));
        Files.createDirectories(socket.getParent());
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(socket));
        }
        sockets.add(socket);
        assertTrue(Files.exists(socket), "a socket file nobody listens on");

        ShimBinary.Result r = start(bundle, "c1");
        assertEquals(0, r.exit(), r.stderr());
        daemons.add((long) connect(socket, "c1").getShimPid());
    }

    @Test
    void shutdownEndsTheDaemonAndRemovesItsSocket() throws Exception {
        Daemon d = startDaemon("c1");
        try (TtrpcClient client = new TtrpcClient(d.socket())) {
            try {
                client.call(TASK, "Shutdown", ShutdownRequest.newBuilder().setId("c1").build().toByteArray(), Map.of(),
                        Duration.ofSeconds(5));
            } catch (TtrpcException e) {
                // "ttrpc: closed" is an accepted answer: the shim may exit before its response arrives
                assertEquals(Code.UNAVAILABLE, e.code(), e.toString());
            }
        }
        assertExitedAndSocketRemoved(d);
    }

    @Test
    void sigtermEndsTheDaemonAndRemovesItsSocket() throws Exception {
        Daemon d = startDaemon("c1");
        ProcessHandle.of(d.pid()).orElseThrow().destroy(); // SIGTERM
        assertExitedAndSocketRemoved(d);
    }

    @Test
    void theDaemonLogsIntoTheBundlesLogFifo() throws Exception {
        startDaemon("c1");
        RandomAccessFile log = logHolders.getFirst();
        byte[] buf = new byte[4096];
        int n = log.read(buf);
        String text = new String(buf, 0, n, StandardCharsets.UTF_8);
        assertTrue(text.contains("level=info") && text.contains("id=c1"), text);
    }

    @Test
    void aMissingConfigJsonFailsWithTheReasonAndLeavesNoSocket() throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("nocfg"));
        ShimBinary.Result r = ShimBinary.run(bundle, new byte[0], "-namespace", "jrunc-it", "-address",
                containerdAddress(), "-id", "c9", "start");
        assertEquals(1, r.exit());
        assertTrue(r.stderr().contains("config.json"), r.stderr());
        assertFalse(Files.exists(SocketAddress.path(SocketAddress.of(containerdAddress(), "jrunc-it", "c9"))));
    }

    @Test
    void unknownRequestIdsGetAStatus() throws Exception {
        Path socket = startDaemon("c1").socket();
        try (TtrpcClient client = new TtrpcClient(socket)) {
            TtrpcException e = org.junit.jupiter.api.Assertions.assertThrows(TtrpcException.class, () -> client.call(TASK,
                    "State", StateRequest.newBuilder().setId("nope").build().toByteArray(), Map.of(), Duration.ofSeconds(5)));
            assertTrue(e.code() == Code.NOT_FOUND || e.code() == Code.UNIMPLEMENTED, e.toString());
        }
    }
}
