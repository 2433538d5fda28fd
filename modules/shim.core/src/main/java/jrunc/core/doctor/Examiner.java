package jrunc.core.doctor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import jrunc.core.doctor.Leftover.DeadBundle;
import jrunc.core.doctor.Leftover.HiddenBundle;
import jrunc.core.doctor.Leftover.LeakedShim;
import jrunc.core.doctor.Leftover.OrphanSocket;
import jrunc.core.doctor.Leftover.Proof;
import jrunc.core.doctor.Leftover.StrayRuncState;
import jrunc.core.doctor.Leftover.Untouchable;
import jrunc.core.doctor.Leftover.VerifiedProcess;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.doctor.NodeSnapshot.ProcessInfo;
import jrunc.core.doctor.NodeSnapshot.RuncState;
import jrunc.core.doctor.NodeSnapshot.ShimAnswer;
import jrunc.core.manager.MountInfo;
import jrunc.core.manager.Names;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.SocketProbe.Result;
import jrunc.core.manager.SpareKey;

/** One examination of a {@link NodeSnapshot} for {@link Diagnosis#examine}: indexes built once, then the rules. */
final class Examiner {
    private final NodeSnapshot node;
    private final Roots roots;
    private final Scope scope;
    private final Map<String, RuncState> runcByKey = new HashMap<>();
    private final Map<String, Bundle> bundleByKey = new HashMap<>();
    /** Socket path → the bundles whose {@code address} (or, lacking one, whose address hash) names it. */
    private final Map<Path, List<Bundle>> claims = new HashMap<>();
    private final Map<Integer, ShimArgv> shims = new HashMap<>();
    /** cgroup path (any hierarchy) → processes in it: one pass, not one per bundle. */
    private final Map<String, List<ProcessInfo>> byCgroup = new HashMap<>();
    /** cgroup path → how many bundle directories (hidden ones too) name it in their spec. */
    private final Map<String, Integer> bundlesByCgroup = new HashMap<>();
    /** Pid 1, the doctor and its ancestors: never signalled, and a cgroup holding one is no container's. */
    private final Set<Integer> protectedPids = new HashSet<>();

    Examiner(NodeSnapshot node, Scope scope) {
        this.node = node;
        this.roots = node.roots();
        this.scope = scope;
        protectedPids.add(1);
        for (int pid = node.doctorPid(); pid > 0 && protectedPids.add(pid); ) {
            ProcessInfo p = node.processes().get(pid);
            pid = p == null ? 0 : p.ppid();
        }
        node.runcStates().forEach(r -> runcByKey.put(key(r.namespace(), r.id()), r));
        node.processes().values().forEach(p -> {
            ShimArgv a = ShimArgv.parse(p.argv());
            if (a != null) shims.put(p.pid(), a);
            for (String path : ContainerMatch.cgroupPaths(p.cgroup())) {
                byCgroup.computeIfAbsent(path, k -> new ArrayList<>()).add(p);
            }
        });
        for (Bundle b : node.bundles()) {
            String cgroup = ContainerMatch.cgroupOf(b.cgroupsPath());
            if (cgroup != null) bundlesByCgroup.merge(cgroup, 1, Integer::sum);
            if (b.hidden()) continue;
            bundleByKey.put(key(b.namespace(), b.id()), b);
            for (Path s : socketsOf(b)) claims.computeIfAbsent(s, k -> new ArrayList<>()).add(b);
        }
    }

    Diagnosis run() {
        List<Leftover> out = new ArrayList<>();
        Map<Path, List<Bundle>> unknownToTheirShim = new TreeMap<>();
        for (Bundle b : node.bundles().stream().sorted(Comparator.comparing(Bundle::namespace)
                .thenComparing(Bundle::id).thenComparing(Bundle::hidden)).toList()) {
            if (!scope.namespaceMatches(b.namespace())) continue;
            if (!Names.isIdentifier(b.namespace()) || !Names.isIdentifier(b.id())) {
                out.add(unsafe(b.namespace(), b.id(), b.path(), "bundle directory"));
                continue;
            }
            // A hidden bundle is judged whatever its address says: a live shim there serves the new bundle of the
            // same id, which removing the hidden one does not touch.
            if (b.hidden()) {
                out.add(b.unreadable().isEmpty() ? hidden(b) : unreadable(b));
                continue;
            }
            Path live = liveSocket(b);
            if (live != null) {
                if (leakedShimOf(live) != null) unknownToTheirShim.computeIfAbsent(live, k -> new ArrayList<>()).add(b);
                continue;
            }
            out.add(b.unreadable().isEmpty() ? dead(b) : unreadable(b));
        }
        unknownToTheirShim.forEach((socket, bundles) -> out.add(leakedWithBundles(socket, bundles)));
        node.runcStates().stream()
                .filter(r -> scope.namespaceMatches(r.namespace()))
                .sorted(Comparator.comparing(RuncState::namespace).thenComparing(RuncState::id))
                .map(this::strayRunc).filter(Objects::nonNull).forEach(out::add);
        leakedShims().forEach(out::add);
        if (scope.namespace() == null) orphanSockets().forEach(out::add);
        return new Diagnosis(node, scope, out.stream()
                .filter(l -> scope.ids().isEmpty() || l.ids().stream().anyMatch(scope::idMatches)).toList());
    }

    /**
     * The socket on which this bundle's shim may be serving, or null when none: its {@code address}'s socket, or
     * with no {@code address} yet (a shim may be half-way through {@code start} right now) its hash socket or any
     * shim process with this namespace and id.
     */
    private Path liveSocket(Bundle b) {
        for (Path s : socketsOf(b)) {
            if (probe(s).mayBeServed()) return s;
        }
        if (b.address() == null && !b.unreadable().containsKey("address")) {
            boolean starting = shims.values().stream().anyMatch(a -> a.namespace().equals(b.namespace()) && a.id().equals(b.id()));
            if (starting) return b.path();
        }
        return null;
    }

    private DeadBundle dead(Bundle b) {
        String ns = b.namespace(), id = b.id();
        List<Finding> f = new ArrayList<>();
        Path addressSocket = SocketAddress.socketFile(b.address());
        Result addressProbe = addressSocket == null ? null : probe(addressSocket);
        String why = b.address() == null ? "no address file: the shim never finished start"
                : addressSocket == null ? "address " + b.address() + " is not a unix:// path"
                : addressProbe == Result.MISSING ? "shim gone: socket " + addressSocket + " does not exist"
                : addressProbe == Result.NOT_A_SOCKET ? "address names " + addressSocket + ", which is not a socket"
                : !roots.isSocketFile(addressSocket) ? "shim gone: nothing accepts on " + addressSocket
                  + " (outside the socket directory: left alone)"
                : "shim gone: nothing accepts on " + addressSocket;
        f.add(Finding.of(ns, id, FindingKind.DEAD_SHIM_BUNDLE, b.path(), why,
                "address", b.address(), "files", b.files().stream().sorted().toList()));
        if (b.runtime() != null) {
            f.add(Finding.of(ns, id, FindingKind.UNTRUSTED_RUNTIME, b.path().resolve("runtime"), b.runtime()
                    + ": the Stop path will not run it"));
        }
        List<MountInfo> mounts = mountsUnder(b.path());
        mounts.forEach(m -> f.add(mountFinding(b, m)));

        RuncState runc = runcOf(b);
        if (runc != null) {
            f.add(Finding.of(ns, id, FindingKind.RUNC_STATE, runc.dir(),
                    runc.hasStateJson() ? "runc still holds state for the container (init pid " + runc.initPid() + ")"
                            : "runc state directory without a readable state.json",
                    "initPid", runc.initPid() == 0 ? null : runc.initPid()));
        }
        String cgroup = containerCgroup(b);
        List<VerifiedProcess> procs = new ArrayList<>();
        int initPid = parsePid(b.initPid());
        int pid = initPid != 0 ? initPid : runc == null ? 0 : runc.initPid();
        if (pid != 0) {
            ProcessInfo p = node.processes().get(pid);
            Proof proof = p == null || shims.containsKey(pid) ? null : ContainerMatch.proof(p, runc, cgroup, protectedPids);
            Path pidFile = b.path().resolve("init.pid");
            if (proof != null) {
                String reason = ContainerMatch.why(proof, b.cgroupsPath());
                procs.add(new VerifiedProcess(pid, p.startTicks(), reason, proof));
                f.add(Finding.of(ns, id, FindingKind.CONTAINER_PROCESS, Path.of("/proc", Integer.toString(pid)),
                        "init pid " + pid + " still running (" + reason + ")", "pid", pid, "startTicks", p.startTicks()));
            } else if (initPid != 0 && p == null) {
                f.add(Finding.of(ns, id, FindingKind.STALE_INIT_PID, pidFile, "pid " + pid + " is not running", "pid", pid));
            } else if (p != null) {
                f.add(Finding.of(ns, id, FindingKind.STALE_INIT_PID, initPid != 0 ? pidFile : runc.dir(),
                        "pid " + pid + " now belongs to another process (" + ContainerMatch.describe(p) + ")",
                        "pid", pid, "argv", p.argv()));
            }
        }
        // The container's other processes (execs): runc delete --force kills them through the cgroup, but name
        // them so the plan can check they are really gone.
        if (cgroup != null) {
            for (ProcessInfo p : byCgroup.getOrDefault(cgroup, List.of()).stream()
                    .sorted(Comparator.comparingInt(ProcessInfo::pid)).toList()) {
                if (p.pid() == pid || shims.containsKey(p.pid()) || protectedPids.contains(p.pid())) continue;
                String reason = ContainerMatch.why(Proof.CGROUP, b.cgroupsPath());
                procs.add(new VerifiedProcess(p.pid(), p.startTicks(), reason, Proof.CGROUP));
                f.add(Finding.of(ns, id, FindingKind.CONTAINER_PROCESS, Path.of("/proc", Integer.toString(p.pid())),
                        "process " + p.pid() + " still running in the container (" + reason + ")",
                        "pid", p.pid(), "startTicks", p.startTicks()));
            }
        }
        List<Path> sockets = new ArrayList<>();
        for (Path s : socketsOf(b)) {
            if (probe(s) != Result.REFUSED || !roots.isSocketFile(s)) continue;
            sockets.add(s);
            List<Bundle> sharing = claims.getOrDefault(s, List.of());
            // A grouped (pod) socket is shared: report it once, under the first bundle that claims it.
            if (!sharing.isEmpty() && sharing.stream().min(Comparator.comparing(Bundle::id)).orElseThrow() != b) continue;
            f.add(Finding.of(ns, id, FindingKind.ORPHANED_SOCKET, s,
                    "nothing accepts; the address of " + (sharing.size() > 1 ? sharing.size() + " bundles" : "this bundle"),
                    "bundles", sharing.stream().map(Bundle::id).sorted().toList()));
        }
        return new DeadBundle(b, runc, mounts, procs, sockets, f);
    }

    /**
     * The container's own cgroup, or null when the spec's {@code cgroupsPath} names none this container alone owns:
     * the root, a cgroup whose name is not the container's, one another bundle names too (it may be a live task's),
     * or one holding pid 1, the doctor or one of its ancestors.
     */
    private String containerCgroup(Bundle b) {
        String c = ContainerMatch.cgroupOf(b.cgroupsPath());
        if (c == null || !ContainerMatch.namesContainer(c, b.id()) || bundlesByCgroup.getOrDefault(c, 0) > 1) return null;
        for (ProcessInfo p : byCgroup.getOrDefault(c, List.of())) {
            if (protectedPids.contains(p.pid())) return null;
        }
        return c;
    }

    /** runc's state for the bundle's id, when it records this bundle (or records none). */
    private RuncState runcOf(Bundle b) {
        RuncState r = runcByKey.get(key(b.namespace(), b.id()));
        if (r == null || !roots.isRuncStateDir(r.dir())) return null;
        return r.bundle() == null || r.bundle().equals(b.path()) ? r : null;
    }

    private HiddenBundle hidden(Bundle b) {
        List<Finding> f = new ArrayList<>();
        f.add(Finding.of(b.namespace(), b.id(), FindingKind.HIDDEN_BUNDLE, b.path(),
                "half-deleted bundle: containerd renamed it for removal and never finished",
                "files", b.files().stream().sorted().toList()));
        List<MountInfo> mounts = mountsUnder(b.path());
        mounts.forEach(m -> f.add(mountFinding(b, m)));
        return new HiddenBundle(b, mounts, f);
    }

    private Untouchable unreadable(Bundle b) {
        List<Finding> f = new ArrayList<>();
        new TreeMap<>(b.unreadable()).forEach((file, why) -> f.add(Finding.of(b.namespace(), b.id(),
                FindingKind.UNREADABLE_FILE, b.path().resolve(file), why + "; the bundle is left as it is")));
        return new Untouchable(b.namespace(), b.id(), b.path(), f);
    }

    private Untouchable unsafe(String ns, String id, Path path, String what) {
        return new Untouchable(ns, id, path, List.of(Finding.of(ns, id, FindingKind.UNSAFE_NAME, path,
                what + " named " + Names.printable(ns) + "/" + Names.printable(id)
                + ": not a name containerd makes; reported, never acted on")));
    }

    /**
     * runc state of a bundle of this state directory that is gone. The runc root is shared by every containerd on
     * the node whatever their {@code state} directory, so only state whose recorded bundle lies under ours, whose
     * init is gone and that no shim names is reported.
     */
    private Leftover strayRunc(RuncState r) {
        if (r.bundle() == null || !roots.isBundleDir(r.bundle()) || !roots.isRuncStateDir(r.dir())) return null;
        Bundle b = bundleByKey.get(key(r.namespace(), r.id()));
        if (b != null && b.path().equals(r.bundle())) return null; // judged with its bundle
        if (node.bundles().stream().anyMatch(x -> x.path().equals(r.bundle()))) return null;
        if (r.initPid() != 0) {
            ProcessInfo p = node.processes().get(r.initPid());
            if (p != null && (r.initStart() == 0 || p.startTicks() == r.initStart())) return null;
        }
        if (shims.values().stream().anyMatch(a -> a.namespace().equals(r.namespace()) && a.id().equals(r.id()))) return null;
        if (!Names.isIdentifier(r.namespace()) || !Names.isIdentifier(r.id())) return unsafe(r.namespace(), r.id(), r.dir(), "runc state");
        return new StrayRuncState(r, List.of(Finding.of(r.namespace(), r.id(), FindingKind.RUNC_STATE, r.dir(),
                "runc state of bundle " + r.bundle() + ", which is gone, and no running init (runc create would fail: container with id exists)",
                "initPid", r.initPid() == 0 ? null : r.initPid())));
    }

    /**
     * A shim of this state directory: containerd starts every shim in its bundle, so its working directory lies
     * under {@code --state}; with {@code --containerd-address} given, its {@code -address} is one of them too. A
     * shim of another containerd sharing the socket directory is neither reported nor touched.
     */
    private boolean inScope(int pid) {
        ShimArgv a = shims.get(pid);
        ProcessInfo p = node.processes().get(pid);
        if (a == null || p == null || p.cwd() == null || protectedPids.contains(pid)) return false;
        String cwd = p.cwd().endsWith(" (deleted)") ? p.cwd().substring(0, p.cwd().length() - " (deleted)".length()) : p.cwd();
        Path dir;
        try {
            dir = Path.of(cwd);
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
        return dir.isAbsolute() && dir.normalize().startsWith(roots.stateDir())
               && (node.scopeAddresses().isEmpty() || node.scopeAddresses().contains(a.address()));
    }

    /** The in-scope shim listening on {@code socket} that said it knows none of the bundles naming it, or null. */
    private ProcessInfo leakedShimOf(Path socket) {
        ShimAnswer answer = node.shimAnswers().get(socket);
        if (answer == null || !answer.knowsNone() || answer.shimPid() <= 1) return null;
        if (!socket.equals(node.shimListeners().get(answer.shimPid())) || !inScope(answer.shimPid())) return null;
        List<Bundle> bundles = claims.getOrDefault(socket, List.of());
        if (bundles.isEmpty() || !bundles.stream().allMatch(b -> Diagnosis.unknownCandidate(node, b)
                && Names.isIdentifier(b.namespace()) && Names.isIdentifier(b.id()))) return null;
        return node.processes().get(answer.shimPid());
    }

    private LeakedShim leakedWithBundles(Path socket, List<Bundle> bundles) {
        ProcessInfo p = leakedShimOf(socket);
        ShimArgv a = shims.get(p.pid());
        Bundle first = bundles.stream().filter(b -> b.id().equals(a.id())).findFirst().orElse(bundles.getFirst());
        List<Finding> f = new ArrayList<>();
        f.add(Finding.of(first.namespace(), first.id(), FindingKind.LEAKED_SHIM, Path.of("/proc", Integer.toString(p.pid())),
                "shim pid " + p.pid() + " answers on " + socket.getFileName() + " but knows none of the "
                + bundles.size() + " bundle(s) naming it (" + node.shimAnswers().get(socket).detail() + ")",
                "pid", p.pid(), "startTicks", p.startTicks(), "socket", socket.toString(), "argv", p.argv(),
                "bundles", bundles.stream().map(Bundle::id).sorted().toList()));
        for (Bundle b : bundles) {
            f.add(Finding.of(b.namespace(), b.id(), FindingKind.DEAD_SHIM_BUNDLE, b.path(),
                    "its shim (pid " + p.pid() + ") never got Create: no task, no init.pid, older than "
                    + Diagnosis.LEAK_GRACE.toMinutes() + " minutes", "address", b.address(),
                    "files", b.files().stream().sorted().toList()));
            mountsUnder(b.path()).forEach(m -> f.add(mountFinding(b, m)));
        }
        return new LeakedShim(first.namespace(), first.id(),
                new VerifiedProcess(p.pid(), p.startTicks(), "shim of this state directory, listening on " + socket, Proof.SHIM),
                socket, List.copyOf(bundles), f);
    }

    /**
     * A shim daemon of this state directory serving no task: its socket may be served, yet no bundle names that
     * socket nor has the shim's own id. The socket is the one the process really listens on when the scan could
     * see it (a grouped shim's socket is keyed by its pod, not its id), else the hash of its own argv.
     */
    private List<Leftover> leakedShims() {
        List<Leftover> out = new ArrayList<>();
        for (ProcessInfo p : node.processes().values().stream().sorted(Comparator.comparingInt(ProcessInfo::pid)).toList()) {
            ShimArgv a = shims.get(p.pid());
            if (a == null || !scope.namespaceMatches(a.namespace()) || !inScope(p.pid())) continue;
            Path socket = node.shimListeners().getOrDefault(p.pid(), roots.socketDir().resolve(a.ungroupedSocketHash()));
            if (!probe(socket).mayBeServed() || claims.containsKey(socket)) continue;
            if (bundleByKey.containsKey(key(a.namespace(), a.id()))) continue;
            if (!Names.isIdentifier(a.namespace()) || !Names.isIdentifier(a.id())) {
                out.add(unsafe(a.namespace(), a.id(), Path.of("/proc", Integer.toString(p.pid())), "shim"));
                continue;
            }
            out.add(new LeakedShim(a.namespace(), a.id(),
                    new VerifiedProcess(p.pid(), p.startTicks(), "shim of this state directory, listening on " + socket, Proof.SHIM),
                    socket, List.of(), List.of(Finding.of(a.namespace(), a.id(), FindingKind.LEAKED_SHIM,
                    Path.of("/proc", Integer.toString(p.pid())),
                    "shim pid " + p.pid() + " answers on " + socket.getFileName() + " but no bundle refers to it",
                    "pid", p.pid(), "startTicks", p.startTicks(), "socket", socket.toString(), "argv", p.argv()))));
        }
        return out;
    }

    /** Sockets in the socket directory that refuse connections and that no bundle claims. */
    private List<OrphanSocket> orphanSockets() {
        return node.sockets().entrySet().stream()
                .filter(e -> e.getValue() == Result.REFUSED)
                .map(Map.Entry::getKey)
                .filter(s -> roots.isSocketFile(s) && !claims.containsKey(s))
                .sorted()
                .map(s -> new OrphanSocket(s, List.of(Finding.of(null, null, FindingKind.ORPHANED_SOCKET, s,
                        SpareKey.isRendezvousName(s.getFileName().toString())
                                ? "nothing accepts; the rendezvous socket of a jrunc warm spare that is gone"
                                : "nothing accepts; no bundle refers to it"))))
                .toList();
    }

    /**
     * The sockets that are a bundle's: the one its {@code address} names, or, with no {@code address}, the
     * hash of each containerd address seen on the node with its group key.
     */
    private List<Path> socketsOf(Bundle b) {
        Path s = SocketAddress.socketFile(b.address());
        if (s != null) return List.of(s);
        if (b.address() != null || b.unreadable().containsKey("address")) return List.of();
        Set<Path> out = new LinkedHashSet<>();
        for (String addr : node.containerdAddresses()) {
            Path h = roots.socketDir().resolve(SocketAddress.hash(addr, b.namespace(), b.hashKey()));
            if (node.sockets().containsKey(h)) out.add(h);
        }
        return List.copyOf(out);
    }

    /** Mounts at or below a bundle, deepest first; the bundle path is canonical, as mountinfo's are. */
    private List<MountInfo> mountsUnder(Path bundle) {
        return MountInfo.under(node.mounts(), bundle.toString());
    }

    private Finding mountFinding(Bundle b, MountInfo m) {
        return Finding.of(b.namespace(), b.id(), FindingKind.ROOTFS_MOUNT, m.mountPath(),
                m.fsType() + " mounted from " + m.source(), "fsType", m.fsType(), "source", m.source());
    }

    private Result probe(Path socket) {
        return node.sockets().getOrDefault(socket, Result.MISSING);
    }

    private static String key(String ns, String id) {
        return ns + "/" + id;
    }

    private static int parsePid(String text) {
        if (text == null) return 0;
        try {
            int pid = Integer.parseInt(text.trim());
            return pid > 0 ? pid : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
