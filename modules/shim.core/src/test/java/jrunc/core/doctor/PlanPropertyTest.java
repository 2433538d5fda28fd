package jrunc.core.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import jrunc.core.doctor.CleanAction.Type;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.doctor.NodeSnapshot.ProcessInfo;
import jrunc.core.fake.Gen;
import jrunc.core.manager.Names;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.SocketProbe.Result;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The plan's promises over random node snapshots ({@link RandomNode}: hostile names, paths that are not canonical,
 * addresses naming any file, pid 1 and the doctor's ancestors in init.pid and cgroups, shims of other containerds
 * and state directories, runc state of other bundles, mounts everywhere, any scope):
 * <ul>
 *   <li>every action's target lies inside the roots, is what the snapshot says it is, and every signal carries
 *       its proof;</li>
 *   <li>nothing of a live bundle (its directory, mounts, socket, runc state, processes) is touched unless its shim
 *       is shut down first, and no protected pid is ever signalled;</li>
 *   <li>every action answers a finding, lies within the scope, and appears once; the plan does not depend on the
 *       order the scan listed things in.</li>
 * </ul>
 * Each seed is a case; a failure names it, so it replays ({@code -Djrunc.property.seed}).
 */
class PlanPropertyTest {

    static Stream<Long> seeds() {
        return Gen.seeds(0x5eed_0000L, 1500);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyPlannedActionLiesInsideTheRootsAndCarriesItsProof(long seed) {
        Gen g = new Gen(seed);
        NodeSnapshot node = RandomNode.of(g);
        Scope scope = scope(g, node);
        Diagnosis d = Diagnosis.examine(node, scope);
        List<CleanAction> plan = CleanPlan.of(d, null).actions();
        Roots roots = node.roots();
        Set<Integer> protectedPids = protectedPids(node);
        Set<Path> shutDown = new HashSet<>();
        Set<Integer> killed = new HashSet<>();
        Set<String> stopped = new HashSet<>();
        for (CleanAction a : plan) {
            String where = "seed " + seed + ": " + a;
            if (a.namespace() != null) assertTrue(Names.isIdentifier(a.namespace()), where);
            if (a.type() != Type.REMOVE_SOCKET || a.namespace() != null) assertTrue(Names.isIdentifier(a.id()), where);
            switch (a.type()) {
                case STOP, REMOVE_BUNDLE -> {
                    assertTrue(roots.isBundleDir(a.target()), where);
                    Bundle b = bundleAt(node, a.target(), where);
                    assertTrue(b.unreadable().isEmpty(), where);
                    if (a.type() == Type.STOP) assertFalse(b.hidden(), "the Stop path on a hidden bundle: " + where);
                    if (a.type() == Type.STOP) stopped.add(b.namespace() + "/" + b.id());
                    Path socket = SocketAddress.socketFile(b.address());
                    if (!b.hidden() && served(node, socket)) assertTrue(shutDown.contains(socket), "a live bundle is stopped: " + where);
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
                case REMOVE_RUNC_STATE -> {
                    assertTrue(roots.isRuncStateDir(a.target()), where);
                    NodeSnapshot.RuncState r = node.runcStates().stream().filter(s -> s.dir().equals(a.target()))
                            .findFirst().orElseThrow(() -> new AssertionError("no such runc state: " + where));
                    // a running init goes first: by runc delete --force in the Stop path, or by a kill
                    ProcessInfo init = node.processes().get(r.initPid());
                    assertTrue(init == null || r.initStart() != 0 && r.initStart() != init.startTicks()
                            || killed.contains(r.initPid()) || stopped.contains(r.namespace() + "/" + r.id()),
                            "runc state of a running init is removed: " + where);
                }
                case KILL -> {
                    ProcessInfo p = checkSignalled(node, a, protectedPids, where);
                    killed.add(a.pid());
                    switch (a.proof()) {
                        case RUNC_START_TIME -> assertTrue(node.runcStates().stream().anyMatch(s -> s.initPid() == a.pid()
                                && s.initStart() == p.startTicks() && roots.isRuncStateDir(s.dir())), where);
                        case CGROUP -> {
                            Bundle b = node.bundles().stream().filter(x -> x.id().equals(a.id()) && x.namespace()
                                    .equals(a.namespace()) && !x.hidden() && roots.isBundleDir(x.path())).findFirst().orElseThrow();
                            String cgroup = ContainerMatch.cgroupOf(b.cgroupsPath());
                            assertTrue(cgroup != null && !cgroup.equals("/"), where);
                            assertTrue(ContainerMatch.cgroupPaths(p.cgroup()).contains(cgroup), where);
                            for (int pp : protectedPids) {
                                ProcessInfo q = node.processes().get(pp);
                                if (q != null) assertFalse(ContainerMatch.cgroupPaths(q.cgroup()).contains(cgroup), where);
                            }
                        }
                        case SHIM -> fail("a kill proven only by shim argv: " + where);
                    }
                }
                case SHUTDOWN_SHIM -> {
                    ProcessInfo p = checkSignalled(node, a, protectedPids, where);
                    assertEquals(Leftover.Proof.SHIM, a.proof(), where);
                    ShimArgv argv = ShimArgv.parse(p.argv());
                    assertNotNull(argv, where);
                    assertTrue(p.cwd() != null && Path.of(p.cwd().replace(" (deleted)", "")).normalize()
                            .startsWith(roots.stateDir()), where);
                    assertTrue(Stream.concat(Stream.of(a.id()), a.tasks().stream()).anyMatch(scope::named), where);
                    Path socket = node.shimListeners().get(a.pid());
                    if (socket != null) shutDown.add(socket);
                    shutDown.add(roots.socketDir().resolve(argv.ungroupedSocketHash()));
                }
            }
        }
        nothingOfALiveBundleIsTouched(node, plan, shutDown, seed);
        everyActionAnswersAFindingInScopeAndAppearsOnce(d, scope, plan, seed);
        assertEquals(sortedStrings(plan), sortedStrings(CleanPlan.of(Diagnosis.examine(shuffled(node, seed), scope), null)
                .actions()), "seed " + seed + ": the plan depends on the order of the scan");
    }

    /** A bundle whose shim may serve stays whole: no action inside it, on its runc state or in its processes. */
    private static void nothingOfALiveBundleIsTouched(NodeSnapshot node, List<CleanAction> plan, Set<Path> shutDown,
                                                     long seed) {
        for (Bundle b : node.bundles()) {
            Path socket = SocketAddress.socketFile(b.address());
            if (b.hidden() || !served(node, socket) || shutDown.contains(socket)) continue;
            String cgroup = ContainerMatch.cgroupOf(b.cgroupsPath());
            for (CleanAction a : plan) {
                String where = "seed " + seed + ": live bundle " + b.path() + " touched by " + a;
                assertFalse(a.target().startsWith(b.path()), where);
                if (a.type() == Type.REMOVE_RUNC_STATE) {
                    assertFalse(node.runcStates().stream().anyMatch(r -> r.dir().equals(a.target())
                            && b.path().equals(r.bundle())), where);
                }
                // runc's recorded start time names its process wherever it runs; a cgroup only proves what is its own
                if (a.type() == Type.KILL && a.proof() == Leftover.Proof.CGROUP && cgroup != null) {
                    assertFalse(ContainerMatch.cgroupPaths(node.processes().get(a.pid()).cgroup()).contains(cgroup),
                            "a process in the cgroup of a " + where);
                }
            }
        }
    }

    private static void everyActionAnswersAFindingInScopeAndAppearsOnce(Diagnosis d, Scope scope, List<CleanAction> plan,
                                                                       long seed) {
        Set<String> seen = new HashSet<>();
        for (CleanAction a : plan) {
            String where = "seed " + seed + ": " + a;
            assertTrue(seen.add(a.type() + " " + a.target()), "planned twice: " + where);
            if (scope.namespace() != null) assertEquals(scope.namespace(), a.namespace(), "outside the namespace: " + where);
            assertTrue(d.leftovers().stream().anyMatch(l -> (a.namespace() == null ? l.namespace() == null
                            : a.namespace().equals(l.namespace())) && l.ids().contains(a.id())
                            && (scope.ids().isEmpty() || l.ids().stream().anyMatch(scope.ids()::contains))),
                    "no leftover in scope for " + where);
            assertTrue(d.findings().stream().anyMatch(f -> a.id().equals(f.id()) || a.target().equals(f.path())),
                    "no finding for " + where);
        }
    }

    private static Scope scope(Gen g, NodeSnapshot node) {
        Set<String> named = new HashSet<>();
        if (g.bool() && !node.bundles().isEmpty()) named.add(g.pick(node.bundles()).id());
        if (g.oneIn(4)) named.add(g.pick("web", "ghost", "orphan-0", "nothing"));
        String ns = g.oneIn(4) && !node.bundles().isEmpty() ? g.pick(node.bundles()).namespace() : null;
        return new Scope(ns, named);
    }

    private static boolean served(NodeSnapshot node, Path socket) {
        return socket != null && node.sockets().getOrDefault(socket, Result.MISSING).mayBeServed();
    }

    private static Bundle bundleAt(NodeSnapshot node, Path target, String where) {
        return node.bundles().stream().filter(x -> x.path().equals(target)).findFirst()
                .orElseThrow(() -> new AssertionError("no such bundle: " + where));
    }

    private static ProcessInfo checkSignalled(NodeSnapshot node, CleanAction a, Set<Integer> protectedPids, String where) {
        assertTrue(a.pid() > 1 && !protectedPids.contains(a.pid()), "a protected pid is signalled: " + where);
        assertTrue(a.pid() != RandomNode.CONTAINERD_PID, "containerd is signalled: " + where);
        assertEquals(Path.of("/proc", Integer.toString(a.pid())), a.target(), where);
        ProcessInfo p = node.processes().get(a.pid());
        assertTrue(p != null && p.startTicks() == a.startTicks(), "the start time is not the process's: " + where);
        assertNotNull(a.proof(), where);
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

    /** The same node with every list in another order, as another scan of it could list them. */
    private static NodeSnapshot shuffled(NodeSnapshot n, long seed) {
        Random r = new Random(~seed);
        List<Bundle> bundles = new ArrayList<>(n.bundles());
        List<NodeSnapshot.RuncState> runc = new ArrayList<>(n.runcStates());
        List<jrunc.core.manager.MountInfo> mounts = new ArrayList<>(n.mounts());
        Collections.shuffle(bundles, r);
        Collections.shuffle(runc, r);
        Collections.shuffle(mounts, r);
        return new NodeSnapshot(n.roots(), n.takenAt(), n.doctorPid(), bundles, runc, n.sockets(), mounts, n.processes(),
                n.containerdAddresses(), n.scopeAddresses(), n.shimListeners(), n.shimAnswers());
    }

    private static List<String> sortedStrings(List<CleanAction> actions) {
        return actions.stream().map(CleanAction::toString).sorted().toList();
    }
}
