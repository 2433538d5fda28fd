package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A node laid out by a test to fool shim-doctor, under one temp directory of its own: containerd's state, a socket
 * directory and a runc root, plus what the test adds (tmpfs volumes, bind mounts, bystander processes in a cgroup
 * it makes). The image's {@code bin/shim-doctor} is run against it exactly as an operator would.
 *
 * <p>{@link #close()} undoes only what this node made: its mounts (deepest first, lazily if busy), its
 * bystanders (by the Process objects it started), its cgroups, then its directory, and that only when nothing is
 * mounted under it any more.
 */
final class HostileNode implements AutoCloseable {
    static final String NAMESPACE = "hostile";
    /** Generous: a scan that hangs fails here, a slow machine does not. */
    static final Duration DOCTOR_TIMEOUT = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path root, state, sockets, runc, lock;
    private final List<Path> mounts = new ArrayList<>();
    private final List<Process> bystanders = new ArrayList<>();
    private final List<Path> cgroups = new ArrayList<>();
    private final List<ServerSocketChannel> listeners = new ArrayList<>();

    HostileNode() throws IOException {
        // short: socket paths are limited to 108 bytes
        root = Files.createTempDirectory(Path.of("/tmp"), "jrunc-hn-").toRealPath();
        state = Files.createDirectories(root.resolve("state"));
        sockets = Files.createDirectories(root.resolve("s"));
        runc = Files.createDirectories(root.resolve("runc"));
        lock = root.resolve("doctor.lock");
    }

    Path bundle(String id) throws IOException {
        return bundle(NAMESPACE, id);
    }

    /** A bundle as containerd made it and a shim's Create left it: config.json, an empty runtime (runc), rootfs/. */
    Path bundle(String ns, String id) throws IOException {
        Path b = Files.createDirectories(state.resolve("io.containerd.runtime.v2.task").resolve(ns).resolve(id));
        Files.createDirectories(b.resolve("rootfs"));
        Files.writeString(b.resolve("config.json"), "{\"ociVersion\":\"1.0.2\"}");
        Files.writeString(b.resolve("runtime"), "");
        return b;
    }

    /** A socket file nobody listens on (what a SIGKILLed shim leaves), named in the bundle's address. */
    Path deadShim(Path bundle) throws IOException {
        Path socket = sockets.resolve("dead-" + bundle.getFileName().toString().replaceAll("[^A-Za-z0-9]", ""));
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(socket));
        }
        Files.writeString(bundle.resolve("address"), "unix://" + socket);
        return socket;
    }

    Path tmpfs(Path at) throws IOException {
        Files.createDirectories(at);
        run("mount", "-t", "tmpfs", "-o", "size=4m", "jrunc-hostile", at.toString());
        mounts.add(at);
        return at;
    }

    Path bind(Path source, Path target) throws IOException {
        Files.createDirectories(target);
        run("mount", "--bind", source.toString(), target.toString());
        mounts.add(target);
        return target;
    }

    /** A volume with data that must outlive any clean: a directory with one file. */
    Path volume(String name) throws IOException {
        Path v = Files.createDirectories(root.resolve("volumes").resolve(name));
        Files.writeString(v.resolve("precious"), "data of " + name);
        return v;
    }

    /** A cgroup of the unified hierarchy, made for this test (a hybrid host has no controllers there). */
    Path cgroup() throws IOException {
        Path hierarchy = Files.isDirectory(Path.of("/sys/fs/cgroup/unified")) ? Path.of("/sys/fs/cgroup/unified")
                : Path.of("/sys/fs/cgroup");
        byte[] random = new byte[4];
        ThreadLocalRandom.current().nextBytes(random);
        Path cg = Files.createDirectory(hierarchy.resolve("jrunc-e2e-doctor-" + HexFormat.of().formatHex(random)));
        cgroups.add(cg);
        return cg;
    }

    /** The cgroup path as a spec's cgroupsPath names it (and /proc/pid/cgroup shows it). */
    static String cgroupsPath(Path cgroup) {
        return "/" + cgroup.getFileName();
    }

    /** {@code sleep 600}, moved into {@code cgroup} when it is not null: a process nobody may kill. */
    Process bystander(Path cgroup) throws IOException {
        Process p = new ProcessBuilder("sleep", "600").redirectErrorStream(true).start();
        bystanders.add(p);
        if (cgroup != null) Files.writeString(cgroup.resolve("cgroup.procs"), Long.toString(p.pid()));
        return p;
    }

    /** A socket someone accepts on, as a live shim's. */
    Path liveSocket(String name) throws IOException {
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        Path socket = sockets.resolve(name);
        ch.bind(UnixDomainSocketAddress.of(socket));
        listeners.add(ch);
        return socket;
    }

    List<String> doctorArgv(String... args) {
        List<String> argv = new ArrayList<>(List.of(Shim.image().resolve("bin/shim-doctor").toString()));
        argv.addAll(List.of(args));
        argv.addAll(List.of("--runc-root", runc.toString(), "--lock", lock.toString()));
        if (!List.of(args).contains("--state")) argv.addAll(List.of("--state", state.toString()));
        if (!List.of(args).contains("--socket-dir")) argv.addAll(List.of("--socket-dir", sockets.toString()));
        return argv;
    }

    CtrResult doctor(String... args) {
        return Commands.run(doctorArgv(args), DOCTOR_TIMEOUT);
    }

    static JsonNode json(CtrResult r) {
        try {
            JsonNode doc = JSON.readTree(r.stdout());
            assertTrue(doc != null && doc.isObject(), "not one JSON document: " + r.describe());
            return doc;
        } catch (IOException e) {
            throw new AssertionError("not one JSON document: " + r.describe(), e);
        }
    }

    static List<String> kinds(JsonNode doc, String field) {
        List<String> out = new ArrayList<>();
        doc.path(field).forEach(f -> out.add(f.path("kind").asText()));
        return out;
    }

    static boolean mounted(Path at) {
        return LeftoverSweep.mountsUnder(at).contains(at);
    }

    static void run(String... argv) {
        CtrResult r = Commands.run(List.of(argv), Duration.ofSeconds(30));
        if (!r.succeeded()) throw new UncheckedIOException(new IOException(r.describe()));
    }

    @Override
    public void close() throws IOException {
        for (ServerSocketChannel ch : listeners) ch.close();
        for (Process p : bystanders) {
            p.destroyForcibly();
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Path cg : cgroups) {
            try {
                Files.deleteIfExists(cg); // rmdir: empty once the bystanders have gone
            } catch (IOException e) {
                System.err.println("[e2e] cannot remove cgroup " + cg + ": " + e);
            }
        }
        for (Path m : LeftoverSweep.mountsUnder(root)) {
            if (!Commands.run(List.of("umount", m.toString()), Duration.ofSeconds(20)).succeeded()) {
                Commands.run(List.of("umount", "-l", m.toString()), Duration.ofSeconds(20));
            }
        }
        if (!LeftoverSweep.mountsUnder(root).isEmpty()) {
            System.err.println("[e2e] leaving " + root + ": still mounted " + LeftoverSweep.mountsUnder(root));
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
