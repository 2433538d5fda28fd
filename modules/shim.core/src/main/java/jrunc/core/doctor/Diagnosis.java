package jrunc.core.doctor;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.SocketProbe.Result;

/**
 * What a crash left on a node: a pure function of a {@link NodeSnapshot}. The one rule above all others: a bundle
 * whose shim may answer on its address is live, and nothing of it (bundle, socket, mounts, processes) is reported
 * or touched, unless the shim itself says it knows none of the bundles naming its socket. Everything else is
 * judged conservatively: when in doubt, report and leave alone.
 *
 * <p>containerd's own recovery ({@code loadExistingTasks} in containerd v1.6.20 runtime/v2/manager.go,
 * {@code cleanupAfterDeadShim} in runtime/v2/shim.go) decides "dead" the same way, by dialling the {@code address};
 * it then runs the shim's {@code delete}, which is what {@link CleanPlan} does too.
 */
public record Diagnosis(NodeSnapshot snapshot, Scope scope, List<Leftover> leftovers) {
    /**
     * How old every file of a bundle must be before its shim may be judged leaked for not knowing it. After
     * {@code start} writes {@code address}, containerd dials the socket for up to 100 s (containerd v1.6.20
     * runtime/v2/shim/util.go, {@code Connect}) and then sends {@code Create} under its caller's deadline, which no
     * {@code [timeouts]} entry bounds (the kubelet's runtime request timeout is 2 min); Create itself writes files
     * into the bundle. Ten minutes is several times the longest of those, so a create in flight is never taken.
     */
    public static final Duration LEAK_GRACE = Duration.ofMinutes(10);

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

    /**
     * The sockets whose shim must be asked, read-only over ttrpc, about the bundles naming them (socket → those
     * bundles): it accepts, and every bundle naming it is older than {@link #LEAK_GRACE} and has no
     * {@code init.pid} (a task that got that far was created, so its shim knew it). Everything else is not asked:
     * asking a thousand live shims would cost a thousand round trips.
     */
    public static Map<Path, List<Bundle>> questions(NodeSnapshot node) {
        Map<Path, List<Bundle>> claims = new LinkedHashMap<>();
        for (Bundle b : node.bundles()) {
            if (b.hidden()) continue;
            Path s = SocketAddress.socketFile(b.address());
            if (s != null) claims.computeIfAbsent(s, k -> new ArrayList<>()).add(b);
        }
        Map<Path, List<Bundle>> out = new LinkedHashMap<>();
        claims.forEach((socket, bundles) -> {
            if (node.sockets().get(socket) == Result.ACCEPTING && bundles.stream().allMatch(b -> unknownCandidate(node, b))) {
                out.put(socket, List.copyOf(bundles));
            }
        });
        return out;
    }

    /** A bundle whose shim may not know it: no init.pid, nothing unreadable, every file older than the grace. */
    static boolean unknownCandidate(NodeSnapshot node, Bundle b) {
        return !b.hidden() && !b.files().contains("init.pid") && b.unreadable().isEmpty() && b.modified() != null
               && b.modified().plus(LEAK_GRACE).isBefore(node.takenAt());
    }
}
