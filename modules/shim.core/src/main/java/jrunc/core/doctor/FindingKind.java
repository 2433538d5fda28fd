package jrunc.core.doctor;

/** The kinds of leftover shim-doctor reports. The wire names are part of the JSON schema: never rename them. */
public enum FindingKind {
    /** A bundle whose shim no longer answers on its address (or never wrote one). */
    DEAD_SHIM_BUNDLE("dead-shim-bundle"),
    /** A mount under a dead or hidden bundle (normally its {@code rootfs}). */
    ROOTFS_MOUNT("rootfs-mount"),
    /** runc's {@code <root>/<ns>/<id>} state of a task whose shim is dead, or of no bundle at all. */
    RUNC_STATE("runc-state"),
    /** A process verified to belong to a dead bundle's container, still running. */
    CONTAINER_PROCESS("container-process"),
    /** {@code init.pid} names a pid that is gone or now belongs to another process: reported, never signalled. */
    STALE_INIT_PID("stale-init-pid"),
    /** A socket in the socket directory that nothing accepts on. */
    ORPHANED_SOCKET("orphaned-socket"),
    /** A shim daemon that answers on its socket but serves no task: no bundle refers to it. */
    LEAKED_SHIM("leaked-shim"),
    /** A {@code .<id>} bundle: containerd renamed it to remove it and never finished (it skips hidden ones). */
    HIDDEN_BUNDLE("hidden-bundle"),
    /**
     * A bundle file that cannot be read safely: a FIFO, device, socket or link where a small regular file belongs,
     * or one bigger than any shim writes. Its bundle is reported and never acted on.
     */
    UNREADABLE_FILE("unreadable-file"),
    /** A namespace or id containerd could never have made (a control character, {@code /}, {@code ..}): reported only. */
    UNSAFE_NAME("unsafe-name"),
    /** The {@code runtime} file names a binary the Stop path will not run as root (not root's, writable by others…). */
    UNTRUSTED_RUNTIME("untrusted-runtime");

    private final String wireName;

    FindingKind(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
