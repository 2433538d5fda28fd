package jrunc.core.doctor;

import java.nio.file.Path;
import java.util.List;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.doctor.NodeSnapshot.RuncState;
import jrunc.core.manager.MountInfo;

/**
 * One thing a crash left behind, with the facts its clean-up needs and the findings it is reported as. The
 * diagnosis produces these; {@link CleanPlan} turns each into ordered actions.
 */
public sealed interface Leftover {
    String namespace();

    String id();

    List<Finding> findings();

    /** The ids a user may name to select this leftover ({@code show ID}, {@code clean ID}). */
    default List<String> ids() {
        return id() == null ? List.of() : List.of(id());
    }

    /**
     * A bundle whose shim is dead.
     *
     * @param runc      runc's state of this very bundle (it records this bundle, or records none), or null
     * @param mounts    mounts under the bundle, deepest first
     * @param processes the container's processes still running, each with its proof
     * @param sockets   dead sockets of this bundle in the socket directory (nobody accepts)
     */
    record DeadBundle(Bundle bundle, RuncState runc, List<MountInfo> mounts, List<VerifiedProcess> processes,
                      List<Path> sockets, List<Finding> findings) implements Leftover {
        public String namespace() { return bundle.namespace(); }

        public String id() { return bundle.id(); }
    }

    /** A {@code .<id>} bundle and the mounts still under it, deepest first. */
    record HiddenBundle(Bundle bundle, List<MountInfo> mounts, List<Finding> findings) implements Leftover {
        public String namespace() { return bundle.namespace(); }

        public String id() { return bundle.id(); }
    }

    /** runc state recorded for a bundle of this state directory that is gone, whose container is not running. */
    record StrayRuncState(RuncState runc, List<Finding> findings) implements Leftover {
        public String namespace() { return runc.namespace(); }

        public String id() { return runc.id(); }
    }

    /** A socket in the socket directory that refuses connections and that no bundle claims; its id is unknown. */
    record OrphanSocket(Path socket, List<Finding> findings) implements Leftover {
        public String namespace() { return null; }

        public String id() { return null; }

        @Override
        public List<String> ids() {
            return List.of(socket.getFileName().toString());
        }
    }

    /**
     * A shim daemon of this state directory that serves no task: no bundle names its socket, or the bundles that do
     * are unknown to it (containerd died between the shim's {@code start} and {@code Create}).
     *
     * @param bundles the bundles whose {@code address} names its socket, empty when none
     */
    record LeakedShim(String namespace, String id, VerifiedProcess shim, Path socket, List<Bundle> bundles,
                      List<Finding> findings) implements Leftover {
        @Override
        public List<String> ids() {
            List<String> out = new java.util.ArrayList<>(List.of(id));
            bundles.forEach(b -> { if (!out.contains(b.id())) out.add(b.id()); });
            return out;
        }
    }

    /**
     * Something reported and never acted on: a name containerd could not have made, or a bundle holding a file
     * that cannot be read safely. A person looks at it; the doctor does not guess.
     */
    record Untouchable(String namespace, String id, Path path, List<Finding> findings) implements Leftover {}

    /** A pid, the start time that names it for its whole life, and the proof that it is what the plan says. */
    record VerifiedProcess(int pid, long startTicks, String why, Proof proof) {}

    /** Why a process may be signalled; the wire names are part of the JSON schema. */
    enum Proof {
        /** runc's state recorded this pid with this start time as the container's init. */
        RUNC_START_TIME("runc-start-time"),
        /** It runs in the container's own cgroup (not {@code /}, holding neither the doctor, its ancestors nor pid 1). */
        CGROUP("cgroup"),
        /** A shim daemon of this state directory (its cwd is a bundle here), listening on the socket judged. */
        SHIM("shim");

        private final String wireName;

        Proof(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }
}
