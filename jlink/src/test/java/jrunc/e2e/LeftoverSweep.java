package jrunc.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.SpareKey;

/**
 * Removes what a private containerd's shims can leave behind once containerd itself has stopped (bundles: containerd
 * v1.6.20
 * runtime/v2/bundle.go; sockets: runtime/v2/shim/util_unix.go):
 * shim processes still serving, their sockets, runc state, cgroups and rootfs mounts.
 *
 * <p>Everything is found from our own directory or our own grpc address, never by a name pattern, because other
 * containerds (the host's, other engineers') share {@code /run/containerd/s}, the runc root and the cgroup tree:
 * <ul>
 *   <li>a socket in {@code /run/containerd/s} is removed only if an {@code address} file of one of our bundles
 *       names it, or if its name is the hash of our grpc address joined with a namespace and an id or group that
 *       containerd's log mentions (the socket, and Go's {@code /debug} socket beside it: containerd v2.1.9
 *       pkg/shim/util_unix.go, SocketAddress). A shim that made its socket and lost its bundle, or Go's 2.x shim
 *       that leaves its sockets when it exits, is found this way: the hash includes our address, which no other
 *       containerd has;</li>
 *   <li>a shim process is killed only if its {@code -address} argument is our grpc socket; so is a jrunc warm spare
 *       ({@code -spare}), and a spare's rendezvous socket is removed only if its name carries our address's tag
 *       ({@link SpareKey#socketPrefixFor});</li>
 *   <li>runc state, runc namespace directories and cgroups only for the namespaces our containerd held, which the
 *       harness names uniquely.</li>
 * </ul>
 */
final class LeftoverSweep {

    private static final Path SHIM_SOCKET_DIR = Path.of("/run/containerd/s");
    private static final Path RUNC_ROOT = Path.of("/run/containerd/runc");
    private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");
    private static final Set<String> SHARED_NAMESPACES = Set.of("default", "k8s.io", "moby");
    /** How the harness names its namespaces (Ctr). */
    private static final String NAMESPACE_PREFIX = "e2e-";
    private static final Pattern WORD = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    private final ContainerdConfig config;
    private final Set<Path> shimSockets = new LinkedHashSet<>();
    private final Set<String> namespaces = new LinkedHashSet<>();

    LeftoverSweep(ContainerdConfig config) {
        this.config = config;
    }

    /** Records namespaces whose runc and cgroup directories may be removed once they are empty. */
    void noteNamespaces(List<String> names) {
        names.forEach(this::noteNamespace);
    }

    private void noteNamespace(String name) {
        // Names every containerd uses are shared with the host's and other engineers' containerds: never touch.
        if (!SHARED_NAMESPACES.contains(name)) {
            namespaces.add(name);
        }
    }

    /**
     * Reads the {@code address} file (or {@code bootstrap.json}) of every bundle under our state directory, hidden {@code .<id>} ones too,
     * and remembers the sockets they name. Called more than once: containerd removes bundles as it cleans up.
     */
    void noteShimSockets() {
        for (Path bundle : bundles()) {
            // No address: the shim never got as far as `start`, so it made no socket either.
            BundleAddress.socketOf(bundle)
                    .filter(socket -> socket.getParent() != null && socket.getParent().equals(SHIM_SOCKET_DIR))
                    .ifPresent(shimSockets::add);
        }
    }

    /** Runs the whole sweep; containerd must have stopped. Each step is best effort and reports failures. */
    void sweep() {
        noteShimSockets();
        for (Path bundle : bundles()) {
            noteNamespace(bundle.getParent().getFileName().toString());
        }
        killOurShims();
        removeOurSpareSockets();
        noteSocketsNamedInLog();
        deleteRuncState();
        unmountUnder(config.dir());
        for (Path socket : shimSockets) {
            try {
                if (Files.exists(socket) && !Files.isDirectory(socket) && !Files.isRegularFile(socket)) {
                    Files.delete(socket);
                }
            } catch (IOException e) {
                report("cannot remove shim socket " + socket, e);
            }
        }
        for (String namespace : namespaces) {
            removeIfEmpty(RUNC_ROOT.resolve(namespace));
            for (Path hierarchy : list(CGROUP_ROOT)) {
                removeIfEmpty(hierarchy.resolve(namespace)); // ctr's cgroupsPath is /<namespace>/<id>
            }
            removeIfEmpty(CGROUP_ROOT.resolve(namespace)); // a cgroup v2 host
        }
    }

    /** Deletes our directory, unless something is still mounted under it: we must never recurse into a mount. */
    void removeDirectory() {
        List<Path> mounts = mountsUnder(config.dir());
        if (!mounts.isEmpty()) {
            System.err.println("[e2e] leaving " + config.dir() + " in place: still mounted " + mounts);
            return;
        }
        try (Stream<Path> walk = Files.walk(config.dir())) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            report("cannot remove " + config.dir(), e);
        }
    }

    /**
     * Every word of containerd's log, taken as a namespace and as an id or group: the sockets whose names are their
     * hashes with our grpc address are ours. Words, not parsed fields, because each release logs ids differently.
     */
    private void noteSocketsNamedInLog() {
        Set<String> present = new LinkedHashSet<>();
        for (Path socket : list(SHIM_SOCKET_DIR)) {
            present.add(socket.getFileName().toString());
        }
        if (present.isEmpty()) {
            return;
        }
        Set<String> words = new LinkedHashSet<>();
        try {
            Matcher word = WORD.matcher(Files.readString(config.log(), StandardCharsets.UTF_8));
            while (word.find()) {
                String w = word.group();
                words.add(w);
                // a group is often the prefix of its tasks' ids (g1 of g1-a), and the log may name only the tasks
                for (int dash = w.indexOf('-'); dash > 0; dash = w.indexOf('-', dash + 1)) {
                    words.add(w.substring(0, dash));
                }
            }
        } catch (IOException e) {
            report("cannot read " + config.log() + " for shim socket names", e);
            return;
        }
        Set<String> namespaces = new LinkedHashSet<>(this.namespaces);
        namespaces.addAll(SHARED_NAMESPACES);
        words.stream().filter(w -> w.startsWith(NAMESPACE_PREFIX)).forEach(namespaces::add);
        String address = config.grpcAddress().toString();
        for (String namespace : namespaces) {
            for (String id : words) {
                for (String group : List.of(id, id + "/debug")) {
                    String name = SocketAddress.hash(address, namespace, group);
                    if (present.contains(name)) {
                        shimSockets.add(SHIM_SOCKET_DIR.resolve(name));
                    }
                }
            }
        }
    }

    /** {@code <state>/io.containerd.runtime.v2.task/<namespace>/<id>} directories, hidden ones included. */
    private List<Path> bundles() {
        List<Path> bundles = new ArrayList<>();
        for (Path namespace : list(config.bundles())) {
            if (Files.isDirectory(namespace)) {
                list(namespace).stream().filter(Files::isDirectory).forEach(bundles::add);
            }
        }
        return bundles;
    }

    /** SIGKILLs shims that outlived containerd (it was killed, or could not delete their tasks). */
    private void killOurShims() {
        for (ProcessHandle process : ProcessHandle.allProcesses().toList()) {
            List<String> argv = cmdline(process.pid());
            int flag = argv.indexOf("-address");
            if (flag >= 0 && flag + 1 < argv.size() && argv.get(flag + 1).equals(config.grpcAddress().toString())
                    && isShim(argv)) {
                int namespaceFlag = argv.indexOf("-namespace");
                if (namespaceFlag >= 0 && namespaceFlag + 1 < argv.size()) {
                    noteNamespace(argv.get(namespaceFlag + 1));
                }
                System.err.println("[e2e] killing leftover shim " + process.pid() + " " + argv);
                process.destroyForcibly();
                process.onExit().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> null).join();
            }
        }
    }

    /**
     * Go's shim (its binary) or ours: its argv[0] is the JVM, so it is known by its main class; a warm spare says
     * {@code -spare} too. Only a process with our private containerd's address is ever asked this.
     */
    private static boolean isShim(List<String> argv) {
        return !argv.isEmpty() && (argv.getFirst().contains("containerd-shim") || argv.contains("-spare")
                || argv.stream().anyMatch(a -> a.endsWith("jrunc.cli.ShimMain")));
    }

    /** Rendezvous sockets of our containerd's warm spares, once the spares are gone (killOurShims). */
    private void removeOurSpareSockets() {
        String prefix = SpareKey.socketPrefixFor(config.grpcAddress().toString());
        for (Path socket : list(SHIM_SOCKET_DIR)) {
            if (!socket.getFileName().toString().startsWith(prefix)) continue;
            System.err.println("[e2e] removing a warm spare's rendezvous socket " + socket);
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                report("cannot remove " + socket, e);
            }
        }
    }

    /** {@code runc delete --force} for every bundle of ours whose runc state is still there. */
    private void deleteRuncState() {
        for (Path bundle : bundles()) {
            String namespace = bundle.getParent().getFileName().toString();
            String id = bundle.getFileName().toString().replaceFirst("^\\.", "");
            Path root = RUNC_ROOT.resolve(namespace);
            if (Files.isDirectory(root.resolve(id))) {
                CtrResult deleted = Commands.run(
                        List.of("runc", "--root", root.toString(), "delete", "--force", id), Duration.ofSeconds(20));
                if (!deleted.succeeded()) {
                    System.err.println("[e2e] " + deleted.describe());
                }
            }
        }
    }

    private static void unmountUnder(Path dir) {
        for (Path mount : mountsUnder(dir)) {
            CtrResult unmounted = Commands.run(List.of("umount", mount.toString()), Duration.ofSeconds(20));
            if (!unmounted.succeeded()) {
                // A mount leaked into another mount namespace keeps it busy (umount2 gives EBUSY); detach it.
                Commands.run(List.of("umount", "-l", mount.toString()), Duration.ofSeconds(20));
            }
        }
    }

    /** Mount points at or under {@code dir}, deepest first, from /proc/self/mountinfo. */
    static List<Path> mountsUnder(Path dir) {
        List<Path> mounts = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] fields = line.split(" ");
                if (fields.length > 4) {
                    Path mountPoint = Path.of(unescapeOctal(fields[4]));
                    if (mountPoint.startsWith(dir)) {
                        mounts.add(mountPoint);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        mounts.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return mounts;
    }

    /** mountinfo writes space, tab, newline and backslash as {@code \ooo}. */
    private static String unescapeOctal(String field) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static List<String> cmdline(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            List<String> argv = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    argv.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            return argv;
        } catch (IOException e) {
            return List.of(); // gone already, or a kernel thread
        }
    }

    private static void removeIfEmpty(Path dir) {
        try {
            if (Files.isDirectory(dir)) {
                Files.delete(dir); // rmdir: fails, harmlessly, when something still lives there
            }
        } catch (IOException e) {
            // Not empty, or a cgroup that still has processes: leave it.
        }
    }

    private static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            List<Path> all = new ArrayList<>();
            entries.forEach(all::add);
            return all;
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void report(String what, Exception e) {
        System.err.println("[e2e] " + what + ": " + e);
    }
}
