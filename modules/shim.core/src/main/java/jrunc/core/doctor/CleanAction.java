package jrunc.core.doctor;

import java.nio.file.Path;

/**
 * One step of a {@link CleanPlan}. The executor re-checks each step's precondition just before acting (a socket
 * still refuses, a pid still has its start time, nothing is mounted under a directory it removes), because the
 * node may have moved since the scan.
 *
 * @param namespace   containerd namespace, null when unknown
 * @param id          container id (for a socket no bundle claims: the socket's file name)
 * @param type        what to do
 * @param target      the bundle, mount point, socket, runc state directory, or {@code /proc/<pid>}
 * @param pid         for {@link Type#KILL}: the pid; 0 otherwise
 * @param startTicks  for {@link Type#KILL}: the start time that proves the pid is still the one judged; 0 otherwise
 * @param detail      one line for a person: what and why
 */
public record CleanAction(String namespace, String id, Type type, Path target, int pid, long startTicks,
                          String detail) {

    /** Action types; the wire names are part of the JSON schema. */
    public enum Type {
        /** The shim's Stop path on a dead bundle: runc delete --force, unmount under rootfs, read init.pid. */
        STOP("stop"),
        /** umount2 of one mount point (hidden bundles: the Stop path is not run on them, see {@link CleanPlan}). */
        UNMOUNT("unmount"),
        /** SIGKILL, only if the pid still has the start time it was verified with. */
        KILL("kill"),
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
