package jrunc.doctor;

/** Exit statuses, for runbooks: they are part of the documented interface. */
final class Exit {
    /** Nothing left behind (after clean: everything cleaned). */
    static final int CLEAN = 0;
    /** Leftovers found, or some remain after clean. */
    static final int LEFTOVERS = 1;
    /** The command could not do its job (bad arguments, unreadable node, lock held, refused). */
    static final int ERROR = 2;

    private Exit() {}
}
