package jrunc.core.doctor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import jrunc.core.doctor.CleanAction.Type;
import jrunc.core.doctor.Leftover.DeadBundle;
import jrunc.core.doctor.Leftover.HiddenBundle;
import jrunc.core.doctor.Leftover.LeakedShim;
import jrunc.core.doctor.Leftover.OrphanSocket;
import jrunc.core.doctor.Leftover.StrayRuncState;
import jrunc.core.doctor.Leftover.Untouchable;
import jrunc.core.doctor.Leftover.VerifiedProcess;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.manager.MountInfo;

/**
 * The ordered actions that clean a {@link Diagnosis}. The same object is printed by {@code --dry-run} and carried
 * out by {@code --yes}, so what a person approves is what runs.
 *
 * <p>For a dead bundle the order is containerd's own ({@code cleanupAfterDeadShim} in containerd v1.6.20
 * runtime/v2/shim.go) plus what it leaves behind: the Stop path first (it kills the container through
 * {@code runc delete --force} and unmounts), then a kill of any verified container process that survived, then the
 * dead socket (containerd never removes it), then runc state if runc could not remove it, then the bundle.
 *
 * <p>Every target lies inside the {@link Roots} and every signal carries its proof: {@link #of} plans nothing
 * else, and the executor checks both again before acting.
 *
 * @param runcRoot the runc root given to the Stop path, or null to let it read the bundle's options.json
 */
public record CleanPlan(List<CleanAction> actions, Path runcRoot) {
    public CleanPlan {
        actions = List.copyOf(actions);
    }

    public boolean isEmpty() {
        return actions.isEmpty();
    }

    /**
     * Plans every leftover in the diagnosis, except leaked shims, which are only planned when the user named one of
     * their ids ({@link Scope#named}): "serves no task" is an inference and a wrong one would stop a pod. What is
     * reported as untouchable is never planned.
     */
    public static CleanPlan of(Diagnosis d, Path runcRootOverride) {
        Roots roots = d.snapshot().roots();
        List<CleanAction> out = new ArrayList<>();
        Set<Path> socketsPlanned = new LinkedHashSet<>();
        for (Leftover l : d.leftovers()) {
            switch (l) {
                case DeadBundle b -> {
                    String ns = b.namespace(), id = b.id();
                    if (!roots.isBundleDir(b.bundle().path())) continue;
                    out.add(new CleanAction(ns, id, Type.STOP, b.bundle().path(), stopDetail(b)));
                    for (VerifiedProcess p : b.processes()) out.add(kill(ns, id, p));
                    for (Path s : b.sockets()) {
                        if (roots.isSocketFile(s) && socketsPlanned.add(s)) out.add(removeSocket(ns, id, s));
                    }
                    if (b.runc() != null && roots.isRuncStateDir(b.runc().dir())) {
                        out.add(new CleanAction(ns, id, Type.REMOVE_RUNC_STATE, b.runc().dir(),
                                "remove runc state if runc delete left it"));
                    }
                    out.add(new CleanAction(ns, id, Type.REMOVE_BUNDLE, b.bundle().path(), "remove the bundle"));
                }
                // Never the Stop path on a hidden bundle: its id may already belong to a new, live task whose runc
                // state a "runc delete --force <id>" would destroy. Only its own mounts and files go.
                case HiddenBundle h -> {
                    if (!roots.isBundleDir(h.bundle().path())) continue;
                    for (MountInfo m : h.mounts()) {
                        if (roots.isInsideBundle(m.mountPath())) {
                            out.add(new CleanAction(h.namespace(), h.id(), Type.UNMOUNT, m.mountPath(), "unmount " + m.fsType()));
                        }
                    }
                    out.add(new CleanAction(h.namespace(), h.id(), Type.REMOVE_BUNDLE, h.bundle().path(),
                            "remove the half-deleted bundle"));
                }
                case StrayRuncState r -> {
                    if (roots.isRuncStateDir(r.runc().dir())) {
                        out.add(new CleanAction(r.namespace(), r.id(), Type.REMOVE_RUNC_STATE, r.runc().dir(),
                                "remove runc state of a container that is gone"));
                    }
                }
                case OrphanSocket o -> {
                    if (roots.isSocketFile(o.socket()) && socketsPlanned.add(o.socket())) {
                        out.add(removeSocket(null, o.socket().getFileName().toString(), o.socket()));
                    }
                }
                case LeakedShim s -> {
                    if (s.ids().stream().noneMatch(d.scope()::named)) continue;
                    VerifiedProcess p = s.shim();
                    out.add(new CleanAction(s.namespace(), s.id(), Type.SHUTDOWN_SHIM, Path.of("/proc", Integer.toString(p.pid())),
                            p.pid(), p.startTicks(), p.proof(), s.bundles().stream().map(Bundle::id).toList(),
                            "ask shim pid " + p.pid() + " to Shutdown (it still knows none of its bundles); SIGKILL only "
                            + "if it does not answer and stays with the same start time"));
                    for (Bundle b : s.bundles()) {
                        if (!roots.isBundleDir(b.path())) continue;
                        out.add(new CleanAction(b.namespace(), b.id(), Type.STOP, b.path(),
                                "once its shim is gone: runc delete --force " + b.id() + "; unmount under rootfs; read init.pid"));
                        out.add(new CleanAction(b.namespace(), b.id(), Type.REMOVE_BUNDLE, b.path(), "remove the bundle"));
                    }
                    if (roots.isSocketFile(s.socket()) && socketsPlanned.add(s.socket())) {
                        out.add(removeSocket(s.namespace(), s.id(), s.socket()));
                    }
                }
                case Untouchable u -> { } // reported, never acted on
            }
        }
        return new CleanPlan(out, runcRootOverride);
    }

    private static String stopDetail(DeadBundle b) {
        String unmounts = b.mounts().isEmpty() ? "nothing mounted under rootfs"
                : "unmount " + b.mounts().size() + " mount(s) deepest first: "
                  + String.join(", ", b.mounts().stream().map(MountInfo::mountPoint).toList());
        String runc = b.bundle().runtime() != null ? "runc not run (" + b.bundle().runtime() + ")"
                : "runc delete --force " + b.id();
        return runc + "; " + unmounts + "; read init.pid";
    }

    private static CleanAction kill(String ns, String id, VerifiedProcess p) {
        return new CleanAction(ns, id, Type.KILL, Path.of("/proc", Integer.toString(p.pid())), p.pid(), p.startTicks(),
                p.proof(), List.of(), "SIGKILL pid " + p.pid() + " if still running and still the same process (" + p.why() + ")");
    }

    private static CleanAction removeSocket(String ns, String id, Path socket) {
        return new CleanAction(ns, id, Type.REMOVE_SOCKET, socket, "remove the socket if nothing accepts on it");
    }
}
