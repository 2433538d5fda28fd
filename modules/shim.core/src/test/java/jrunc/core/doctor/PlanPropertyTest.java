package jrunc.core.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import jrunc.core.doctor.CleanAction.Type;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.doctor.NodeSnapshot.ProcessInfo;
import jrunc.core.doctor.NodeSnapshot.RuncState;
import jrunc.core.doctor.NodeSnapshot.ShimAnswer;
import jrunc.core.manager.MountInfo;
import jrunc.core.manager.Names;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.SocketProbe.Result;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The plan's promises over random node snapshots, hostile ones included (ids with newlines and slashes, addresses
 * naming files anywhere, cgroups of "/", pid 1 and the doctor in init.pid, other containerds' shims, runc state of
 * other bundles, mounts everywhere): every action's target lies inside the roots and carries its proof. Each seed
 * is a case; a failure names it, so it replays.
 */
class PlanPropertyTest {
    private static final int CASES = 400;
    private static final List<String> NAMESPACES = List.of("default", "k8s.io", "e2e-a", "bad\nns", "..", "a/b");
    private static final List<String> IDS = List.of("web", "db", "pod-a", "pod-b", "x.y_z", "ghost", "a\nb", "..",
            "with space", "../../etc", "\u001b[2J", "");
    private static final List<String> CGROUPS = List.of("/", "", "/default/web", "/k8s.io/db", "/user.slice",
            "/default/../..", "kubepods.slice:cri:web", "/system.slice/containerd.service");

    static Stream<Long> seeds() {
        return IntStream.range(0, CASES).mapToObj(i -> 0x5eed_0000L + i);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyPlannedActionLiesInsideTheRootsAndCarriesItsProof(long seed) {
        Random r = new Random(seed);
        NodeSnapshot node = randomNode(r);
        Set<String> named = new HashSet<>();
        if (r.nextBoolean()) named.add(pick(r, IDS));
        Scope scope = new Scope(r.nextInt(4) == 0 ? pick(r, NAMESPACES) : null, named);
        Diagnosis d = Diagnosis.examine(node, scope);
        CleanPlan plan = CleanPlan.of(d, null);
        Roots roots = node.roots();
        Set<Integer> protectedPids = protectedPids(node);
        Set<Path> shutDown = new HashSet<>();
        for (CleanAction a : plan.actions()) {
            String where = "seed " + seed + ": " + a;
            if (a.namespace() != null) assertTrue(Names.isIdentifier(a.namespace()), where);
            if (a.type() != Type.REMOVE_SOCKET || a.namespace() != null) assertTrue(Names.isIdentifier(a.id()), where);
            switch (a.type()) {
                case STOP, REMOVE_BUNDLE -> {
                    assertTrue(roots.isBundleDir(a.target()), where);
                    Bundle b = node.bundles().stream().filter(x -> x.path().equals(a.target())).findFirst()
                            .orElseThrow(() -> new AssertionError("no such bundle: " + where));
                    assertTrue(b.unreadable().isEmpty(), where);
                    Path socket = SocketAddress.socketFile(b.address());
                    boolean served = socket != null && node.sockets().getOrDefault(socket, Result.MISSING).mayBeServed();
                    if (!b.hidden() && served) assertTrue(shutDown.contains(socket), "a live bundle is stopped: " + where);
                }
                case UNMOUNT -> {
                    assertTrue(roots.isInsideBundle(a.target()), where);
                    assertTrue(node.mounts().stream().anyMatch(m -> m.mountPath().equals(a.target())), where);
                }
                case REMOVE_SOCKET -> {
                    assertTrue(roots.isSocketFile(a.target()), where);
                    Result probe = node.sockets().getOrDefault(a.target(), Result.MISSING);
                    assertTrue(probe == Result.REFUSED || shutDown.contains(a.target()), where + " probe " + probe);
                }
                case REMOVE_RUNC_STATE -> assertTrue(roots.isRuncStateDir(a.target()), where);
                case KILL -> {
                    ProcessInfo p = checkSignalled(node, a, protectedPids, where);
                    switch (a.proof()) {
                        case RUNC_START_TIME -> assertTrue(node.runcStates().stream().anyMatch(s -> s.initPid() == a.pid()
                                && s.initStart() == p.startTicks() && roots.isRuncStateDir(s.dir())), where);
                        case CGROUP -> {
                            Bundle b = node.bundles().stream().filter(x -> x.id().equals(a.id()) && x.namespace().equals(a.namespace())
                                    && !x.hidden()).findFirst().orElseThrow();
                            String cgroup = ContainerMatch.cgroupOf(b.cgroupsPath());
                            assertTrue(cgroup != null && !cgroup.equals("/"), where);
                            assertTrue(ContainerMatch.cgroupPaths(p.cgroup()).contains(cgroup), where);
                            for (int pp : protectedPids) {
                                ProcessInfo q = node.processes().get(pp);
                                if (q != null) assertTrue(!ContainerMatch.cgroupPaths(q.cgroup()).contains(cgroup), where);
                            }
                        }
                        case SHIM -> fail("a kill proven only by shim argv: " + where);
                    }
                }
                case SHUTDOWN_SHIM -> {
                    ProcessInfo p = checkSignalled(node, a, protectedPids, where);
                    assertEquals(Leftover.Proof.SHIM, a.proof(), where);
                    assertTrue(ShimArgv.parse(p.argv()) != null, where);
                    assertTrue(p.cwd() != null && Path.of(p.cwd().replace(" (deleted)", "")).normalize().startsWith(roots.stateDir()), where);
                    assertTrue(Stream.concat(Stream.of(a.id()), a.tasks().stream()).anyMatch(scope::named), where);
                    Path socket = node.shimListeners().getOrDefault(a.pid(), null);
                    if (socket != null) shutDown.add(socket);
                    ShimArgv argv = ShimArgv.parse(p.argv());
                    shutDown.add(roots.socketDir().resolve(argv.ungroupedSocketHash()));
                }
            }
        }
    }

    private static ProcessInfo checkSignalled(NodeSnapshot node, CleanAction a, Set<Integer> protectedPids, String where) {
        assertTrue(a.pid() > 1 && !protectedPids.contains(a.pid()), "a protected pid is signalled: " + where);
        assertEquals(Path.of("/proc", Integer.toString(a.pid())), a.target(), where);
        ProcessInfo p = node.processes().get(a.pid());
        assertTrue(p != null && p.startTicks() == a.startTicks(), "the start time is not the process's: " + where);
        assertTrue(a.proof() != null, where);
        return p;
    }

    private static Set<Integer> protectedPids(NodeSnapshot node) {
        Set<Integer> out = new HashSet<>(Set.of(1));
        for (int pid = node.doctorPid(); pid > 0 && out.add(pid); ) {
            ProcessInfo p = node.processes().get(pid);
            pid = p == null ? 0 : p.ppid();
        }
        return out;
    }

    // --- a random node ----------------------------------------------------------------------------------------

    private static NodeSnapshot randomNode(Random r) {
        Roots roots = NodeFixture.ROOTS;
        List<Bundle> bundles = new ArrayList<>();
        Map<Path, Result> sockets = new HashMap<>();
        List<MountInfo> mounts = new ArrayList<>();
        Map<Integer, ProcessInfo> processes = new HashMap<>();
        List<RuncState> runc = new ArrayList<>();
        Map<Integer, Path> listeners = new HashMap<>();
        Map<Path, ShimAnswer> answers = new HashMap<>();
        int doctor = 31_000;
        processes.put(1, new ProcessInfo(1, 0, List.of("/sbin/init"), 1, "0::/", null));
        processes.put(doctor - 1, new ProcessInfo(doctor - 1, 1, List.of("bash"), 2, "0::/user.slice", "/root"));
        processes.put(doctor, new ProcessInfo(doctor, doctor - 1, List.of("shim-doctor"), 3, "0::/user.slice", "/root"));
        List<Integer> pids = new ArrayList<>(List.of(1, doctor, doctor - 1));
        for (int i = 0, n = r.nextInt(12); i < n; i++) {
            int pid = 100 + r.nextInt(60);
            pids.add(pid);
            processes.put(pid, new ProcessInfo(pid, r.nextBoolean() ? 1 : doctor, List.of("sleep", "600"),
                    r.nextInt(50), "0::" + pick(r, CGROUPS), null));
        }
        for (int i = 0, n = r.nextInt(8); i < n; i++) {
            String ns = pick(r, NAMESPACES), id = pick(r, IDS);
            boolean hidden = r.nextInt(6) == 0;
            Path path = r.nextInt(10) == 0 ? Path.of("/etc/not-a-bundle")
                    : roots.tasksDir().resolve(ns.isEmpty() || ns.contains("/") || ns.equals("..") ? "ns" : ns)
                    .resolve((hidden ? "." : "") + (id.isEmpty() || id.contains("/") || id.equals("..") ? "id" + i : id));
            Path socket = switch (r.nextInt(5)) {
                case 0 -> Path.of("/etc/passwd");
                case 1 -> Path.of("/tmp/elsewhere.sock");
                default -> roots.socketDir().resolve(SocketAddress.hash(NodeFixture.CONTAINERD, ns, id));
            };
            sockets.put(socket, pick(r, List.of(Result.values())));
            String address = switch (r.nextInt(6)) {
                case 0 -> null;
                case 1 -> "garbage";
                default -> SocketAddress.UNIX_PREFIX + socket;
            };
            String initPid = r.nextInt(4) == 0 ? null : Integer.toString(pick(r, pids));
            Map<String, String> unreadable = r.nextInt(8) == 0 ? Map.of("config.json", "a FIFO") : Map.of();
            bundles.add(new Bundle(ns, id, path, hidden, initPid == null ? Set.of("address") : Set.of("address", "init.pid"),
                    address, initPid, r.nextBoolean() ? null : pick(r, IDS), pick(r, CGROUPS),
                    r.nextInt(8) == 0 ? "untrusted" : null, NodeFixture.NOW.minus(Duration.ofMinutes(r.nextInt(30))), unreadable));
            if (r.nextBoolean()) {
                mounts.add(new MountInfo(200 + i, 1, "0:1", "/", path.resolve(r.nextBoolean() ? "rootfs" : "rootfs/vol").toString(),
                        "rw", "overlay", "overlay", "rw"));
            }
            if (r.nextInt(3) == 0) {
                int pid = pick(r, pids);
                runc.add(new RuncState(ns, id, roots.runcRoot().resolve(ns.isEmpty() ? "ns" : ns).resolve(id.isEmpty() ? "id" : id),
                        true, pid, r.nextBoolean() ? processes.get(pid).startTicks() : 999,
                        r.nextBoolean() ? path : Path.of("/var/lib/other/" + id)));
            }
            if (r.nextInt(3) == 0) {
                int shim = 500 + i;
                String cwd = r.nextBoolean() ? path.toString() : "/var/lib/other/state/" + id;
                processes.put(shim, new ProcessInfo(shim, 1, List.of("/usr/bin/containerd-shim-runc-v2", "-namespace", ns,
                        "-id", id, "-address", r.nextBoolean() ? NodeFixture.CONTAINERD : "/other.sock"), 40 + i, "0::/", cwd));
                pids.add(shim);
                if (r.nextBoolean()) listeners.put(shim, socket);
                if (r.nextBoolean()) answers.put(socket, new ShimAnswer(r.nextBoolean() ? shim : pick(r, pids), r.nextBoolean(), "random"));
            }
        }
        mounts.add(new MountInfo(900, 1, "0:9", "/", "/mnt/unrelated", "rw", "tmpfs", "tmpfs", "rw"));
        for (int i = 0, n = r.nextInt(3); i < n; i++) {
            sockets.put(roots.socketDir().resolve("orphan-" + i), pick(r, List.of(Result.values())));
        }
        return new NodeSnapshot(roots, NodeFixture.NOW, doctor, bundles, runc, sockets, mounts, processes,
                Set.of(NodeFixture.CONTAINERD), r.nextBoolean() ? Set.of() : Set.of(NodeFixture.CONTAINERD), listeners, answers);
    }

    private static <T> T pick(Random r, List<T> from) {
        return from.get(r.nextInt(from.size()));
    }
}
