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
import jrunc.core.doctor.Leftover.VerifiedProcess;
import jrunc.core.manager.MountInfo;

/**
 * The ordered actions that clean a {@link Diagnosis}. The same object is printed by {@code --dry-run} and carried
 * out by {@code --yes}, so what a person approves is what runs.
 *
 * <p>For a dead bundle the order is containerd's own ({@code cleanupAfterDeadShim} in containerd v1.6.20
 * runtime/v2/shim.go) plus what it
 * leaves behind: the Stop path first (it kills the container through {@code runc delete --force} and unmounts), then
 * a kill of any verified container process that survived, then the dead socket (containerd never removes it),
 * then runc state if runc could not remove it, then the bundle.
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
     * Plans every leftover in the diagnosis, except leaked shims: a live daemon is killed only when the user named
     * its id ({@link Scope#named}), because "serves no task" is an inference and a wrong one would kill a pod.
     */
    public static CleanPlan of(Diagnosis d, Path runcRootOverride) {
        List<CleanAction> out = new ArrayList<>();
        Set<Path> socketsPlanned = new LinkedHashSet<>();
        for (Leftover l : d.leftovers()) {
            switch (l) {
                case DeadBundle b -> {
                    String ns = b.namespace(), id = b.id();
                    out.add(new CleanAction(ns, id, Type.STOP, b.bundle().path(), 0, 0, stopDetail(b)));
                    for (VerifiedProcess p : b.processes()) out.add(kill(ns, id, p));
                    for (Path s : b.sockets()) {
                        if (socketsPlanned.add(s)) out.add(removeSocket(ns, id, s));
                    }
                    if (b.runc() != null) {
                        out.add(new CleanAction(ns, id, Type.REMOVE_RUNC_STATE, b.runc().dir(), 0, 0,
                                "remove runc state if runc delete left it"));
                    }
                    out.add(new CleanAction(ns, id, Type.REMOVE_BUNDLE, b.bundle().path(), 0, 0, "remove the bundle"));
                }
                // Never the Stop path on a hidden bundle: its id may already belong to a new, live task whose runc
                // state a "runc delete --force <id>" would destroy. Only its own mounts and files go.
                case HiddenBundle h -> {
                    for (MountInfo m : h.mounts()) {
                        out.add(new CleanAction(h.namespace(), h.id(), Type.UNMOUNT, m.mountPath(), 0, 0,
                                "unmount " + m.fsType()));
                    }
                    out.add(new CleanAction(h.namespace(), h.id(), Type.REMOVE_BUNDLE, h.bundle().path(), 0, 0,
                            "remove the half-deleted bundle"));
                }
                case StrayRuncState r -> out.add(new CleanAction(r.namespace(), r.id(), Type.REMOVE_RUNC_STATE,
                        r.runc().dir(), 0, 0, "remove runc state of a container that is gone"));
                case OrphanSocket o -> {
                    if (socketsPlanned.add(o.socket())) {
                        out.add(removeSocket(null, o.socket().getFileName().toString(), o.socket()));
                    }
                }
                case LeakedShim s -> {
                    if (!d.scope().named(s.id())) continue;
                    out.add(kill(s.namespace(), s.id(), s.shim()));
                    if (socketsPlanned.add(s.socket())) out.add(removeSocket(s.namespace(), s.id(), s.socket()));
                }
            }
        }
        return new CleanPlan(out, runcRootOverride);
    }

    private static String stopDetail(DeadBundle b) {
        String unmounts = b.mounts().isEmpty() ? "nothing mounted under rootfs"
                : "unmount " + b.mounts().size() + " mount(s) deepest first: "
                  + String.join(", ", b.mounts().stream().map(MountInfo::mountPoint).toList());
        return "runc delete --force " + b.id() + "; " + unmounts + "; read init.pid";
    }

    private static CleanAction kill(String ns, String id, VerifiedProcess p) {
        return new CleanAction(ns, id, Type.KILL, Path.of("/proc", Integer.toString(p.pid())), p.pid(), p.startTicks(),
                "SIGKILL pid " + p.pid() + " if still running and still the same process (" + p.why() + ")");
    }

    private static CleanAction removeSocket(String ns, String id, Path socket) {
        return new CleanAction(ns, id, Type.REMOVE_SOCKET, socket, 0, 0, "remove the socket if nothing accepts on it");
    }
}
