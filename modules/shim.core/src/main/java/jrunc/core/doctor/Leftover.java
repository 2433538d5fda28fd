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

    /**
     * A bundle whose shim is dead.
     *
     * @param mounts    mounts under the bundle, deepest first
     * @param processes the container's processes still running, each verified
     * @param sockets   dead sockets of this bundle to remove (nobody accepts)
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

    /** runc state for which there is no bundle and whose container is not running. */
    record StrayRuncState(RuncState runc, List<Finding> findings) implements Leftover {
        public String namespace() { return runc.namespace(); }

        public String id() { return runc.id(); }
    }

    /** A socket that refuses connections and that no bundle claims; its id is unknown (null). */
    record OrphanSocket(Path socket, List<Finding> findings) implements Leftover {
        public String namespace() { return null; }

        public String id() { return null; }
    }

    /** A shim daemon answering on {@code socket} while no bundle refers to it. */
    record LeakedShim(String namespace, String id, VerifiedProcess shim, Path socket, List<Finding> findings)
            implements Leftover {}

    /** A pid and the start time that proves who it is (a kill re-checks it before signalling). */
    record VerifiedProcess(int pid, long startTicks, String why) {}
}
