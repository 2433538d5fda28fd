package jrunc.linux.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jrunc.core.doctor.NodeSnapshot;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.doctor.NodeSnapshot.Probe;
import jrunc.core.doctor.NodeSnapshot.ProcessInfo;
import jrunc.core.doctor.NodeSnapshot.RuncState;
import jrunc.core.doctor.ShimArgv;
import jrunc.core.doctor.SpecFields;
import jrunc.core.manager.MountInfo;
import jrunc.core.manager.SocketAddress;

/**
 * Reads a node into a {@link NodeSnapshot}, changing nothing. Built to stay well under a second with a thousand
 * bundles: one listing per directory, one mountinfo read, one pass over /proc, one connect per socket, and
 * {@code config.json} parsed only for bundles whose shim did not answer (the only ones whose group key matters).
 */
public final class NodeScanner {

    /**
     * Where to look.
     *
     * @param stateDir            containerd {@code state} (default {@code /run/containerd})
     * @param socketDir           shim sockets (default {@code /run/containerd/s})
     * @param runcRoot            runc root without namespace (default {@code /run/containerd/runc})
     * @param namespace           only this namespace, or null for all
     * @param proc                the proc filesystem ({@code /proc})
     * @param containerdAddresses containerd {@code -address} values to hash with, besides those in shim argv
     * @param connectTimeout      how long a socket may take to accept before it counts as alive anyway
     */
    public record Options(Path stateDir, Path socketDir, Path runcRoot, String namespace, Path proc,
                          Set<String> containerdAddresses, Duration connectTimeout) {
        public static final String DEFAULT_CONTAINERD_ADDRESS = "/run/containerd/containerd.sock";

        public Options {
            containerdAddresses = Set.copyOf(containerdAddresses);
        }

        public static Options defaults(Path stateDir, Path socketDir, Path runcRoot, String namespace) {
            return new Options(stateDir, socketDir, runcRoot, namespace, Path.of("/proc"),
                    Set.of(DEFAULT_CONTAINERD_ADDRESS), Duration.ofMillis(100));
        }
    }

    private final Options options;
    private final SocketProbe prober;

    public NodeScanner(Options options) {
        this.options = options;
        this.prober = new SocketProbe(options.connectTimeout());
    }

    public Options options() {
        return options;
    }

    public NodeSnapshot scan() throws IOException {
        Map<Integer, ProcessInfo> processes = ProcTable.read(options.proc());
        Set<String> addresses = new HashSet<>(options.containerdAddresses());
        List<Integer> shimPids = new ArrayList<>();
        for (ProcessInfo p : processes.values()) {
            ShimArgv a = ShimArgv.parse(p.argv());
            if (a != null) {
                addresses.add(a.address());
                shimPids.add(p.pid());
            }
        }
        Map<Integer, Path> shimListeners = UnixListeners.of(options.proc(), shimPids);

        Map<Path, Probe> sockets = new HashMap<>();
        for (Path s : list(options.socketDir())) {
            if (isSocket(s)) sockets.put(s, prober.probe(s));
        }

        List<Bundle> bundles = new ArrayList<>();
        Path tasks = options.stateDir().resolve(NodeSnapshot.TASK_DIR);
        for (Path nsDir : list(tasks)) {
            String ns = nsDir.getFileName().toString();
            // containerd's loader skips hidden namespace directories too; they are not ours to judge.
            if (ns.startsWith(".") || !wanted(ns) || !isDirectory(nsDir)) continue;
            for (Path dir : list(nsDir)) {
                if (isDirectory(dir)) bundles.add(readBundle(ns, dir, sockets, addresses));
            }
        }

        List<RuncState> runc = new ArrayList<>();
        for (Path nsDir : list(options.runcRoot())) {
            String ns = nsDir.getFileName().toString();
            if (!wanted(ns) || !isDirectory(nsDir)) continue;
            for (Path dir : list(nsDir)) {
                if (isDirectory(dir)) runc.add(readRunc(ns, dir));
            }
        }

        String mountinfo = Files.readString(options.proc().resolve("self/mountinfo"), StandardCharsets.UTF_8);
        return new NodeSnapshot(options.stateDir(), options.socketDir(), options.runcRoot(), bundles, runc, sockets,
                MountInfo.parse(mountinfo, options.stateDir().toString()), processes, addresses, shimListeners);
    }

    private Bundle readBundle(String ns, Path dir, Map<Path, Probe> sockets, Set<String> addresses) {
        String name = dir.getFileName().toString();
        boolean hidden = name.startsWith(".");
        String id = hidden ? name.substring(1) : name;
        Set<String> files = new HashSet<>();
        for (Path f : list(dir)) files.add(f.getFileName().toString());
        String address = files.contains("address") ? readOrNull(dir.resolve("address")) : null;
        String initPid = files.contains("init.pid") ? readOrNull(dir.resolve("init.pid")) : null;

        Path socket = SocketAddress.socketFile(address);
        if (socket != null) sockets.computeIfAbsent(socket, prober::probe);
        boolean answered = socket != null && sockets.get(socket).alive();
        String group = null, cgroups = null;
        if (!answered && files.contains("config.json")) {
            try {
                SpecFields.Config c = SpecFields.config(Files.readString(dir.resolve("config.json")));
                group = c.group();
                cgroups = c.cgroupsPath();
            } catch (IOException e) {
                // An unreadable spec leaves the group unknown: the bundle is then keyed by its id, as runc's shim does.
            }
            if (address == null && !hidden) {
                String key = group == null ? id : group;
                for (String a : addresses) {
                    sockets.computeIfAbsent(options.socketDir().resolve(SocketAddress.hash(a, ns, key)), prober::probe);
                }
            }
        }
        return new Bundle(ns, id, dir, hidden, files, address, initPid, group, cgroups);
    }

    private static RuncState readRunc(String ns, Path dir) {
        String id = dir.getFileName().toString();
        try {
            SpecFields.RuncInit init = SpecFields.runcState(Files.readString(dir.resolve("state.json")));
            return new RuncState(ns, id, dir, true, init.pid(), init.startTicks());
        } catch (IOException e) {
            return new RuncState(ns, id, dir, false, 0, 0);
        }
    }

    private boolean wanted(String ns) {
        return options.namespace() == null || options.namespace().equals(ns);
    }

    private static List<Path> list(Path dir) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(out::add);
        } catch (NoSuchFileException e) {
            // Nothing there is a clean node, not an error.
        } catch (IOException e) {
            // A directory that vanished or cannot be read holds nothing we can judge.
        }
        return out;
    }

    private static boolean isDirectory(Path p) {
        return Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
    }

    /** S_IFSOCK: a FIFO or device in the socket directory is not a shim's and never gets probed or removed. */
    static boolean isSocket(Path p) {
        try {
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & S_IFMT) == S_IFSOCK;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static final int S_IFMT = 0170000, S_IFSOCK = 0140000; // <sys/stat.h>

    private static String readOrNull(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }
}
