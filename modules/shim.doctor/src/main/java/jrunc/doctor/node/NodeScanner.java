package jrunc.doctor.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import jrunc.core.doctor.Diagnosis;
import jrunc.core.doctor.NodeSnapshot;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.doctor.NodeSnapshot.ProcessInfo;
import jrunc.core.doctor.NodeSnapshot.RuncState;
import jrunc.core.doctor.Roots;
import jrunc.core.doctor.ShimArgv;
import jrunc.core.manager.BundleFiles;
import jrunc.core.manager.BundleReader;
import jrunc.core.manager.BundleSpec;
import jrunc.core.manager.MountInfo;
import jrunc.core.manager.RuncBinary;
import jrunc.core.manager.RuncStateFile;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.SocketProbe;
import jrunc.core.spi.FileStat;
import jrunc.core.spi.OperatingSystem;

/**
 * Reads a node into a {@link NodeSnapshot}, changing nothing. Every path is canonical: the roots are resolved
 * once, bundles are listed under them and only real directories count. Every bundle file goes through the shim's
 * own {@link BundleReader} (a FIFO, device, link or oversized file is recorded as unreadable, never opened or
 * swallowed). Built to stay well under a second with a thousand bundles: one listing per directory, one mountinfo
 * read, one pass over /proc, sockets probed in parallel, {@code config.json} parsed only for bundles whose shim did
 * not answer, and ttrpc questions only where {@link Diagnosis#questions} asks for them.
 *
 * <p>A root that cannot be listed (other than missing) is an error: a node the doctor cannot read is not clean.
 */
public final class NodeScanner {

    /**
     * Where to look.
     *
     * @param roots               canonical state, socket and runc root directories
     * @param namespace           only this namespace, or null for all
     * @param proc                the proc filesystem ({@code /proc})
     * @param containerdAddresses containerd {@code -address} values given with {@code --containerd-address}; empty
     *                            when none was given (then the default is hashed with, and any address is in scope)
     * @param connectTimeout      how long a socket may take to accept before it counts as unclear (served)
     */
    public record Options(Roots roots, String namespace, Path proc, Set<String> containerdAddresses,
                          Duration connectTimeout) {
        public static final String DEFAULT_CONTAINERD_ADDRESS = "/run/containerd/containerd.sock";

        public Options {
            containerdAddresses = Set.copyOf(containerdAddresses);
        }

        public static Options defaults(Roots roots, String namespace) {
            return new Options(roots, namespace, Path.of("/proc"), Set.of(), SocketProbe.DEFAULT_TIMEOUT);
        }
    }

    /** Probes in flight at once: enough to hide the timeouts of many unclear sockets, few enough for a small node. */
    private static final int PARALLEL_PROBES = 64;

    private final Options options;
    private final OperatingSystem os;
    private final BundleReader reader;
    private final SocketProbe prober;
    private final ShimQuestions questions;
    /** Runtime binary name → why it is refused ("" when trusted), judged once per scan. */
    private final Map<String, String> runtimeVerdicts = new HashMap<>();

    public NodeScanner(Options options, OperatingSystem os) {
        this.options = options;
        this.os = os;
        this.reader = new BundleReader(os);
        this.prober = new SocketProbe(os, options.connectTimeout());
        this.questions = new ShimQuestions(options.connectTimeout().multipliedBy(10));
    }

    public Options options() {
        return options;
    }

    public NodeSnapshot scan() throws IOException {
        try {
            return scanOnce();
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private NodeSnapshot scanOnce() throws IOException {
        Roots roots = options.roots();
        Instant now = Instant.now();
        Map<Integer, ProcessInfo> processes = ProcTable.read(options.proc());
        Set<String> hashWith = new LinkedHashSet<>(options.containerdAddresses().isEmpty()
                ? Set.of(Options.DEFAULT_CONTAINERD_ADDRESS) : options.containerdAddresses());
        List<Integer> shimPids = new ArrayList<>();
        for (ProcessInfo p : processes.values()) {
            ShimArgv a = ShimArgv.parse(p.argv());
            if (a == null) continue;
            shimPids.add(p.pid());
            if (p.cwd() != null && Path.of(p.cwd().replace(" (deleted)", "")).normalize().startsWith(roots.stateDir())) {
                hashWith.add(a.address());
            }
        }
        Map<Integer, Path> shimListeners = UnixListeners.of(options.proc(), shimPids);

        Set<Path> toProbe = new LinkedHashSet<>();
        for (Path s : list(roots.socketDir())) toProbe.add(s);
        List<Path> bundleDirs = new ArrayList<>();
        for (Path nsDir : list(roots.tasksDir())) {
            String ns = nsDir.getFileName().toString();
            // containerd's loader skips hidden namespace directories too; they are not ours to judge.
            if (ns.startsWith(".") || !wanted(ns) || !isDirectory(nsDir)) continue;
            for (Path dir : list(nsDir)) {
                if (isDirectory(dir)) bundleDirs.add(dir);
            }
        }
        Map<Path, String> addresses = new HashMap<>();
        for (Path dir : bundleDirs) {
            try {
                reader.address(dir).ifPresent(a -> addresses.put(dir, a));
            } catch (IOException e) {
                // recorded as unreadable when the bundle is read below
            }
            Path s = SocketAddress.socketFile(addresses.get(dir));
            if (s != null) toProbe.add(s);
        }
        Map<Path, SocketProbe.Result> sockets = probeAll(toProbe);

        List<Bundle> bundles = new ArrayList<>();
        for (Path dir : bundleDirs) bundles.add(readBundle(dir, sockets, hashWith));
        List<Path> hashed = new ArrayList<>();
        for (Bundle b : bundles) {
            if (b.address() != null || b.hidden() || b.unreadable().containsKey("address")) continue;
            for (String a : hashWith) hashed.add(roots.socketDir().resolve(SocketAddress.hash(a, b.namespace(), b.hashKey())));
        }
        hashed.removeIf(sockets::containsKey);
        sockets.putAll(probeAll(hashed));

        List<RuncState> runc = new ArrayList<>();
        for (Path nsDir : list(roots.runcRoot())) {
            String ns = nsDir.getFileName().toString();
            if (!wanted(ns) || !isDirectory(nsDir)) continue;
            for (Path dir : list(nsDir)) {
                if (isDirectory(dir)) runc.add(readRunc(ns, dir));
            }
        }

        String mountinfo = Files.readString(options.proc().resolve("self/mountinfo"), StandardCharsets.UTF_8);
        NodeSnapshot snapshot = new NodeSnapshot(roots, now, ProcTable.self(options.proc()), bundles, runc, sockets,
                MountInfo.parse(mountinfo, roots.stateDir().toString()), processes, hashWith,
                options.containerdAddresses(), shimListeners, Map.of());
        Map<Path, List<Bundle>> ask = Diagnosis.questions(snapshot);
        return ask.isEmpty() ? snapshot : snapshot.withShimAnswers(questions.ask(ask));
    }

    private Map<Path, SocketProbe.Result> probeAll(java.util.Collection<Path> paths) {
        Map<Path, SocketProbe.Result> out = new ConcurrentHashMap<>();
        if (paths.size() <= 1) {
            paths.forEach(p -> out.put(p, prober.probe(p)));
            return new HashMap<>(out);
        }
        java.util.concurrent.Semaphore slots = new java.util.concurrent.Semaphore(PARALLEL_PROBES);
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (Path p : paths) {
                slots.acquireUninterruptibly();
                pool.execute(() -> {
                    try {
                        out.put(p, prober.probe(p));
                    } finally {
                        slots.release();
                    }
                });
            }
        }
        return new HashMap<>(out);
    }

    private Bundle readBundle(Path dir, Map<Path, SocketProbe.Result> sockets, Set<String> hashWith) {
        String ns = dir.getParent().getFileName().toString();
        String name = dir.getFileName().toString();
        boolean hidden = name.startsWith(".");
        String id = hidden ? name.substring(1) : name;
        Set<String> files = new HashSet<>();
        Map<String, String> unreadable = new HashMap<>();
        List<Path> entries = list(dir);
        for (Path f : entries) files.add(f.getFileName().toString());
        // Ages matter only where a shim may not know its bundle (no init.pid yet): one lstat per entry there only.
        Instant modified = null;
        if (!hidden && !files.contains(BundleReader.File.INIT_PID.fileName())) {
            modified = modified(dir, null);
            for (Path f : entries) modified = modified(f, modified);
        }
        // Go's 2.x shim writes no address file: containerd 2.x's bootstrap.json names its socket then
        String address = BundleFiles.shimAddress(read(dir, BundleReader.File.ADDRESS, files, unreadable),
                read(dir, BundleReader.File.BOOTSTRAP, files, unreadable));
        String initPid = read(dir, BundleReader.File.INIT_PID, files, unreadable);
        Path socket = SocketAddress.socketFile(address);
        boolean answered = socket != null && sockets.getOrDefault(socket, SocketProbe.Result.MISSING).mayBeServed();
        String group = null, cgroups = null, runtime = null;
        if (!answered || hidden) {
            if (files.contains(BundleReader.File.CONFIG.fileName())) {
                try {
                    BundleSpec spec = reader.spec(dir);
                    group = spec.groupKey(id);
                    cgroups = spec.cgroupsPath().isEmpty() ? null : spec.cgroupsPath();
                } catch (jrunc.core.spi.UnsafeFileException e) {
                    unreadable.put(BundleReader.File.CONFIG.fileName(), e.getMessage());
                } catch (IOException e) {
                    // An unparsable spec leaves the group unknown: the bundle is then keyed by its id, as runc's shim does.
                }
            }
            runtime = untrustedRuntime(dir, files, unreadable);
        }
        return new Bundle(ns, id, dir, hidden, files, address, initPid, group, cgroups, runtime, modified, unreadable);
    }

    /**
     * Why the Stop path would not run this bundle's runc, or null when it would: the {@code runtime} file's binary
     * judged by the Stop path's own {@link RuncBinary} (once per distinct name in a scan).
     */
    private String untrustedRuntime(Path dir, Set<String> files, Map<String, String> unreadable) {
        String runtime = read(dir, BundleReader.File.RUNTIME, files, unreadable);
        if (unreadable.containsKey(BundleReader.File.RUNTIME.fileName())) return null;
        String name = runtime == null || runtime.trim().isEmpty() ? jrunc.core.manager.BundleFiles.DEFAULT_RUNC_BINARY : runtime.trim();
        return runtimeVerdicts.computeIfAbsent(name, n -> {
            try {
                RuncBinary.resolve(os, n, System.getenv("PATH"));
                return "";
            } catch (RuncBinary.UntrustedException e) {
                return e.getMessage();
            }
        }).transform(v -> v.isEmpty() ? null : v);
    }

    /** A small bundle file's text; null when missing or unreadable (then recorded in {@code unreadable}). */
    private String read(Path dir, BundleReader.File file, Set<String> files, Map<String, String> unreadable) {
        if (!files.contains(file.fileName())) return null;
        try {
            return reader.read(dir, file).map(b -> new String(b, StandardCharsets.UTF_8)).orElse(null);
        } catch (IOException e) {
            unreadable.put(file.fileName(), e.getMessage());
            return null;
        }
    }

    private Instant modified(Path p, Instant newest) {
        try {
            Instant m = os.lstat(p).modified();
            return newest == null || m.isAfter(newest) ? m : newest;
        } catch (IOException e) {
            return newest;
        }
    }

    private RuncState readRunc(String ns, Path dir) {
        String id = dir.getFileName().toString();
        try {
            RuncStateFile s = reader.runcState(dir).orElse(null);
            if (s == null) return new RuncState(ns, id, dir, false, 0, 0, null);
            Path bundle = s.bundle() == null ? null : jrunc.core.manager.Unmounter.canonicalParent(s.bundle());
            return new RuncState(ns, id, dir, true, s.initPid(), s.initStart(), bundle);
        } catch (IOException e) {
            return new RuncState(ns, id, dir, false, 0, 0, null);
        }
    }

    private boolean wanted(String ns) {
        return options.namespace() == null || options.namespace().equals(ns);
    }

    /** The entries of a directory; empty when it does not exist; an IOException when it exists but cannot be read. */
    private List<Path> list(Path dir) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(out::add);
        } catch (NoSuchFileException e) {
            // Nothing there is a clean node, not an error.
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** A real directory, not a link to one: a bundle reached through a link is not inside the roots. */
    private boolean isDirectory(Path p) {
        try {
            return os.lstat(p).type() == FileStat.Type.DIRECTORY;
        } catch (IOException e) {
            return false;
        }
    }
}
