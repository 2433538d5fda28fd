package jrunc.core.doctor;

import java.nio.file.Path;
import java.util.List;

/**
 * One step of a {@link CleanPlan}. The executor re-checks each step's precondition just before acting (a socket
 * still refuses, a pid still has its start time, nothing is mounted under a directory it removes), because the
 * node may have moved since the scan.
 *
 * @param namespace  containerd namespace, null when unknown
 * @param id         container id (for a socket no bundle claims: the socket's file name)
 * @param type       what to do
 * @param target     the bundle, mount point, socket, runc state directory, or {@code /proc/<pid>}
 * @param pid        for {@link Type#KILL} and {@link Type#SHUTDOWN_SHIM}: the pid; 0 otherwise
 * @param startTicks with {@code pid}: the start time that proves the pid is still the one judged; 0 otherwise
 * @param proof      with {@code pid}: why it may be signalled; null otherwise
 * @param tasks      for {@link Type#SHUTDOWN_SHIM}: the ids the shim must still not know just before; else empty
 * @param detail     one line for a person: what and why
 */
public record CleanAction(String namespace, String id, Type type, Path target, int pid, long startTicks,
                          Leftover.Proof proof, List<String> tasks, String detail) {
    public CleanAction {
        tasks = List.copyOf(tasks);
        if ((type == Type.KILL || type == Type.SHUTDOWN_SHIM) && (pid <= 1 || proof == null)) {
            throw new IllegalArgumentException(type.wireName() + " needs a pid above 1 and a proof: " + pid + " " + proof);
        }
    }

    /** An action on a path, no process involved. */
    public CleanAction(String namespace, String id, Type type, Path target, String detail) {
        this(namespace, id, type, target, 0, 0, null, List.of(), detail);
    }

    /** Action types; the wire names are part of the JSON schema. */
    public enum Type {
        /** The shim's Stop path on a dead bundle: runc delete --force, unmount under rootfs, read init.pid. */
        STOP("stop"),
        /** Unmount everything at or under one mount point (hidden bundles: the Stop path is not run on them). */
        UNMOUNT("unmount"),
        /** SIGKILL, only if the pid still has the start time it was verified with. */
        KILL("kill"),
        /**
         * A leaked shim: ask it to Shutdown over ttrpc; SIGKILL it (start time re-checked) only if it did not
         * answer and stays.
         */
        SHUTDOWN_SHIM("shutdown-shim"),
        /** unlink a shim socket, only if it still refuses connections. */
        REMOVE_SOCKET("remove-socket"),
        /** remove runc's state directory if the Stop path left it and the container's init is gone. */
        REMOVE_RUNC_STATE("remove-runc-state"),
        /** remove a bundle directory recursively (not following links), refused while anything under it is mounted. */
        REMOVE_BUNDLE("remove-bundle");

        private final String wireName;

        Type(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }
}
