package jrunc.core.doctor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import jrunc.core.doctor.Leftover.DeadBundle;
import jrunc.core.doctor.Leftover.HiddenBundle;
import jrunc.core.doctor.Leftover.LeakedShim;
import jrunc.core.doctor.Leftover.OrphanSocket;
import jrunc.core.doctor.Leftover.StrayRuncState;
import jrunc.core.doctor.Leftover.VerifiedProcess;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.doctor.NodeSnapshot.Probe;
import jrunc.core.doctor.NodeSnapshot.ProcessInfo;
import jrunc.core.doctor.NodeSnapshot.RuncState;
import jrunc.core.manager.MountInfo;
import jrunc.core.manager.SocketAddress;

/**
 * What a crash left on a node: a pure function of a {@link NodeSnapshot}. The one rule above all others: a bundle
 * whose shim answers on its address is live, and nothing of it (bundle, socket, mounts, processes) is reported or
 * touched. Everything else is judged conservatively: when in doubt, report and leave alone.
 *
 * <p>containerd's own recovery ({@code loadExistingTasks} in containerd v1.6.20 runtime/v2/manager.go, {@code
 * cleanupAfterDeadShim}
 * in runtime/v2/shim.go) decides
 * "dead" the same way, by dialling the {@code address}; it then runs the shim's {@code delete}, which is what
 * {@link CleanPlan} does too.
 */
public record Diagnosis(NodeSnapshot snapshot, Scope scope, List<Leftover> leftovers) {
    public Diagnosis {
        leftovers = List.copyOf(leftovers);
    }

    /** All findings, in leftover order (namespace, id). */
    public List<Finding> findings() {
        return leftovers.stream().flatMap(l -> l.findings().stream()).toList();
    }

    public boolean clean() {
        return leftovers.isEmpty();
    }

    public static Diagnosis examine(NodeSnapshot node, Scope scope) {
        return new Examiner(node, scope).run();
    }

    /** The working state of one examination: indexes over the snapshot, built once. */
    private static final class Examiner {
        private final NodeSnapshot node;
        private final Scope scope;
        private final Map<String, RuncState> runcByKey = new HashMap<>();
        private final Map<String, Bundle> bundleByKey = new HashMap<>();
        /** Socket path → the bundles whose {@code address} (or, lacking one, whose address hash) names it. */
        private final Map<Path, List<Bundle>> claims = new HashMap<>();
        private final Map<Integer, ShimArgv> shims = new HashMap<>();
        /** cgroup path (any hierarchy) → processes in it, and root → processes: one pass, not one per bundle. */
        private final Map<String, List<ProcessInfo>> byCgroup = new HashMap<>();
        private final Map<String, List<ProcessInfo>> byRoot = new HashMap<>();

        Examiner(NodeSnapshot node, Scope scope) {
            this.node = node;
            this.scope = scope;
            node.runcStates().forEach(r -> runcByKey.put(key(r.namespace(), r.id()), r));
            node.processes().values().forEach(p -> {
                ShimArgv a = ShimArgv.parse(p.argv());
                if (a != null) shims.put(p.pid(), a);
                for (String path : ContainerMatch.cgroupPaths(p.cgroup())) {
                    byCgroup.computeIfAbsent(path, k -> new ArrayList<>()).add(p);
                }
                if (p.root() != null && !p.root().equals("/")) byRoot.computeIfAbsent(p.root(), k -> new ArrayList<>()).add(p);
            });
            for (Bundle b : node.bundles()) {
                if (b.hidden()) continue;
                bundleByKey.put(key(b.namespace(), b.id()), b);
                for (Path s : socketsOf(b)) claims.computeIfAbsent(s, k -> new ArrayList<>()).add(b);
            }
        }

        Diagnosis run() {
            List<Leftover> out = new ArrayList<>();
            List<Bundle> bundles = node.bundles().stream()
                    .sorted(Comparator.comparing(Bundle::namespace).thenComparing(Bundle::id)
                            .thenComparing(Bundle::hidden))
                    .toList();
            for (Bundle b : bundles) {
                if (!scope.namespaceMatches(b.namespace())) continue;
                if (b.hidden()) {
                    out.add(hidden(b));
                } else if (!isLive(b)) {
                    out.add(dead(b));
                }
            }
            node.runcStates().stream()
                    .filter(r -> scope.namespaceMatches(r.namespace()))
                    .filter(r -> !bundleByKey.containsKey(key(r.namespace(), r.id())))
                    .sorted(Comparator.comparing(RuncState::namespace).thenComparing(RuncState::id))
                    .map(this::strayRunc).filter(Objects::nonNull).forEach(out::add);
            leakedShims().forEach(out::add);
            if (scope.namespace() == null) orphanSockets().forEach(out::add);
            return new Diagnosis(node, scope, out.stream().filter(l -> matches(l)).toList());
        }

        private boolean matches(Leftover l) {
            if (l instanceof OrphanSocket o) return scope.idMatches(o.socket().getFileName().toString());
            return scope.idMatches(l.id());
        }

        /**
         * A bundle is live when its shim accepts on the socket its {@code address} names. With no {@code address}
         * yet, a shim may be half-way through {@code start} right now: any sign of it (its hash socket accepting,
         * or a shim process with this namespace and id) keeps the bundle live.
         */
        private boolean isLive(Bundle b) {
            for (Path s : socketsOf(b)) {
                if (probe(s).alive()) return true;
            }
            if (b.address() == null) {
                return shims.values().stream().anyMatch(a -> a.namespace().equals(b.namespace()) && a.id().equals(b.id()));
            }
            return false;
        }

        private DeadBundle dead(Bundle b) {
            String ns = b.namespace(), id = b.id();
            List<Finding> f = new ArrayList<>();
            Path addressSocket = SocketAddress.socketFile(b.address());
            String why = b.address() == null ? "no address file: the shim never finished start"
                    : addressSocket == null ? "address " + b.address() + " is not a unix:// path"
                    : probe(addressSocket) == Probe.MISSING ? "shim gone: socket " + addressSocket + " does not exist"
                    : "shim gone: nothing accepts on " + addressSocket;
            f.add(Finding.of(ns, id, FindingKind.DEAD_SHIM_BUNDLE, b.path(), why,
                    "address", b.address(), "files", b.files().stream().sorted().toList()));

            List<MountInfo> mounts = MountInfo.under(node.mounts(), b.path().toString());
            mounts.forEach(m -> f.add(mountFinding(b, m)));

            RuncState runc = runcByKey.get(key(ns, id));
            if (runc != null) {
                f.add(Finding.of(ns, id, FindingKind.RUNC_STATE, runc.dir(),
                        runc.hasStateJson() ? "runc still holds state for the container (init pid " + runc.initPid() + ")"
                                : "runc state directory without a readable state.json",
                        "initPid", runc.initPid() == 0 ? null : runc.initPid()));
            }

            List<VerifiedProcess> procs = new ArrayList<>();
            int initPid = parsePid(b.initPid());
            int pid = initPid != 0 ? initPid : runc == null ? 0 : runc.initPid();
            if (pid != 0) {
                ProcessInfo p = node.processes().get(pid);
                String reason = p == null ? null : ContainerMatch.reason(p, b, runc);
                Path pidFile = b.path().resolve("init.pid");
                if (reason != null) {
                    procs.add(new VerifiedProcess(pid, p.startTicks(), reason));
                    f.add(Finding.of(ns, id, FindingKind.CONTAINER_PROCESS, Path.of("/proc", Integer.toString(pid)),
                            "init pid " + pid + " still running (" + reason + ")",
                            "pid", pid, "startTicks", p.startTicks()));
                } else if (initPid != 0 && p == null) {
                    f.add(Finding.of(ns, id, FindingKind.STALE_INIT_PID, pidFile, "pid " + pid + " is not running",
                            "pid", pid));
                } else if (p != null) {
                    f.add(Finding.of(ns, id, FindingKind.STALE_INIT_PID, initPid != 0 ? pidFile : runc.dir(),
                            "pid " + pid + " now belongs to another process (" + ContainerMatch.describe(p) + ")",
                            "pid", pid, "argv", p.argv()));
                }
            }
            // The container's other processes (execs): runc delete --force kills them through the cgroup, but
            // name them so the plan can check they are really gone.
            Map<Integer, String> others = new java.util.TreeMap<>();
            if (b.cgroupsPath() != null) {
                byCgroup.getOrDefault(ContainerMatch.cgroupOf(b.cgroupsPath()), List.of())
                        .forEach(p -> others.putIfAbsent(p.pid(), "cgroup " + b.cgroupsPath()));
            }
            byRoot.getOrDefault(b.rootfs().toString(), List.of())
                    .forEach(p -> others.putIfAbsent(p.pid(), "root is the bundle's rootfs"));
            for (Map.Entry<Integer, String> e : others.entrySet()) {
                ProcessInfo p = node.processes().get(e.getKey());
                if (p.pid() == pid || shims.containsKey(p.pid())) continue;
                procs.add(new VerifiedProcess(p.pid(), p.startTicks(), e.getValue()));
                f.add(Finding.of(ns, id, FindingKind.CONTAINER_PROCESS, Path.of("/proc", Integer.toString(p.pid())),
                        "process " + p.pid() + " still running in the container (" + e.getValue() + ")",
                        "pid", p.pid(), "startTicks", p.startTicks()));
            }

            List<Path> sockets = new ArrayList<>();
            for (Path s : socketsOf(b)) {
                if (probe(s) != Probe.REFUSED) continue;
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

        private HiddenBundle hidden(Bundle b) {
            List<Finding> f = new ArrayList<>();
            f.add(Finding.of(b.namespace(), b.id(), FindingKind.HIDDEN_BUNDLE, b.path(),
                    "half-deleted bundle: containerd renamed it for removal and never finished",
                    "files", b.files().stream().sorted().toList()));
            List<MountInfo> mounts = MountInfo.under(node.mounts(), b.path().toString());
            mounts.forEach(m -> f.add(mountFinding(b, m)));
            return new HiddenBundle(b, mounts, f);
        }

        /**
         * runc state with no bundle. The runc root is shared by every containerd on the node whatever their
         * {@code state} directory, so a running container here may well be another containerd's live task: only
         * state whose init is gone and that no shim process names is reported.
         */
        private StrayRuncState strayRunc(RuncState r) {
            if (r.initPid() != 0) {
                ProcessInfo p = node.processes().get(r.initPid());
                if (p != null && (r.initStart() == 0 || p.startTicks() == r.initStart())) return null;
            }
            boolean shimNamesIt = shims.values().stream()
                    .anyMatch(a -> a.namespace().equals(r.namespace()) && a.id().equals(r.id()));
            if (shimNamesIt) return null;
            return new StrayRuncState(r, List.of(Finding.of(r.namespace(), r.id(), FindingKind.RUNC_STATE, r.dir(),
                    "runc state with no bundle and no running init (runc create would fail: container with id exists)",
                    "initPid", r.initPid() == 0 ? null : r.initPid())));
        }

        /**
         * A shim daemon serving no task: its socket accepts, yet no bundle names that socket in its {@code address}
         * nor has the shim's own id. The socket is the one the process really listens on when the scan could see it
         * (a grouped shim's socket is keyed by its pod, not its id), else the hash of its own argv.
         */
        private List<LeakedShim> leakedShims() {
            List<LeakedShim> out = new ArrayList<>();
            for (ProcessInfo p : sortedProcesses()) {
                ShimArgv a = shims.get(p.pid());
                if (a == null || !scope.namespaceMatches(a.namespace())) continue;
                Path socket = node.shimListeners().getOrDefault(p.pid(), node.socketDir().resolve(a.ungroupedSocketHash()));
                if (!probe(socket).alive() || claims.containsKey(socket)) continue;
                if (bundleByKey.containsKey(key(a.namespace(), a.id()))) continue;
                out.add(new LeakedShim(a.namespace(), a.id(), new VerifiedProcess(p.pid(), p.startTicks(), "shim argv"),
                        socket, List.of(Finding.of(a.namespace(), a.id(), FindingKind.LEAKED_SHIM,
                        Path.of("/proc", Integer.toString(p.pid())),
                        "shim pid " + p.pid() + " answers on " + socket.getFileName() + " but no bundle refers to it",
                        "pid", p.pid(), "startTicks", p.startTicks(), "socket", socket.toString(), "argv", p.argv()))));
            }
            return out;
        }

        /** Sockets in the socket directory that refuse connections and that no bundle claims. */
        private List<OrphanSocket> orphanSockets() {
            return node.sockets().entrySet().stream()
                    .filter(e -> e.getValue() == Probe.REFUSED)
                    .map(Map.Entry::getKey)
                    .filter(s -> node.socketDir().equals(s.getParent()) && !claims.containsKey(s))
                    .sorted()
                    .map(s -> new OrphanSocket(s, List.of(Finding.of(null, null, FindingKind.ORPHANED_SOCKET, s,
                            "nothing accepts; no bundle refers to it"))))
                    .toList();
        }

        /**
         * The sockets that are a bundle's: the one its {@code address} names, or, with no {@code address}, the
         * hash of each containerd address seen on the node with its group key.
         */
        private List<Path> socketsOf(Bundle b) {
            Path s = SocketAddress.socketFile(b.address());
            if (s != null) return List.of(s);
            if (b.address() != null) return List.of();
            Set<Path> out = new LinkedHashSet<>();
            for (String addr : node.containerdAddresses()) {
                Path h = node.socketDir().resolve(SocketAddress.hash(addr, b.namespace(), b.groupKey()));
                if (node.sockets().containsKey(h)) out.add(h);
            }
            return List.copyOf(out);
        }

        private Finding mountFinding(Bundle b, MountInfo m) {
            return Finding.of(b.namespace(), b.id(), FindingKind.ROOTFS_MOUNT, m.mountPath(),
                    m.fsType() + " mounted from " + m.source(), "fsType", m.fsType(), "source", m.source());
        }

        private Probe probe(Path socket) {
            return node.sockets().getOrDefault(socket, Probe.MISSING);
        }

        private List<ProcessInfo> sortedProcesses() {
            return node.processes().values().stream().sorted(Comparator.comparingInt(ProcessInfo::pid)).toList();
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
}
