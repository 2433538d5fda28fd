package jrunc.linux.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static jrunc.linux.ffi.Native.ptr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import jrunc.core.spi.ErrnoException;

/**
 * One posix_spawnp(3) call being prepared: its file actions and attributes, in memory owned by this object.
 * The posix_spawn functions return an error number instead of setting errno, so the captured errno is not read.
 *
 * <p>{@code posix_spawn_file_actions_t} and {@code posix_spawnattr_t} are opaque: we allocate glibc's size for
 * the port ({@link Arch}) and let glibc's init functions fill them.
 */
public final class PosixSpawn implements AutoCloseable {

    private static final Native.Function ACTIONS_INIT = Native.function("posix_spawn_file_actions_init"),
            ACTIONS_DESTROY = Native.function("posix_spawn_file_actions_destroy"),
            ADD_DUP2 = Native.function("posix_spawn_file_actions_adddup2"),
            ADD_OPEN = Native.function("posix_spawn_file_actions_addopen"),
            ADD_CLOSE = Native.function("posix_spawn_file_actions_addclose"),
            ATTR_INIT = Native.function("posix_spawnattr_init"), ATTR_DESTROY = Native.function("posix_spawnattr_destroy"),
            SET_FLAGS = Native.function("posix_spawnattr_setflags"),
            SET_SIGMASK = Native.function("posix_spawnattr_setsigmask"),
            SET_SIGDEFAULT = Native.function("posix_spawnattr_setsigdefault"),
            SET_PGROUP = Native.function("posix_spawnattr_setpgroup"),
            // int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
            //                  const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
            SPAWNP = Native.function("posix_spawnp"),
            // glibc 2.34 (Debian 12, Ubuntu 22.04); missing on older ones
            ADD_CLOSEFROM = Native.function("posix_spawn_file_actions_addclosefrom_np"),
            // glibc 2.29
            ADD_CHDIR = Native.function("posix_spawn_file_actions_addchdir_np");

    private final Arena arena = Arena.ofConfined();
    /** The downcall's errno buffer: unused, since these functions return their error number. */
    private final MemorySegment state = Native.callState(arena);
    private final MemorySegment actions;
    private final MemorySegment attributes;
    private short flags;
    private boolean actionsReady, attributesReady;

    public PosixSpawn() throws ErrnoException {
        Arch arch = Arch.current();
        boolean ok = false;
        try {
            actions = arena.allocate(arch.spawnFileActionsSize(), 16);
            attributes = arena.allocate(arch.spawnAttrSize(), 16);
            check(ACTIONS_INIT, ACTIONS_INIT.call(state, ptr(actions)));
            actionsReady = true;
            check(ATTR_INIT, ATTR_INIT.call(state, ptr(attributes)));
            attributesReady = true;
            ok = true;
        } finally {
            if (!ok) close();
        }
    }

    /** dup2(from, to) in the child. */
    public void dup2(int from, int to) throws ErrnoException {
        check(ADD_DUP2, ADD_DUP2.call(state, ptr(actions), from, to));
    }

    /** open(path, flags, mode) onto {@code fd} in the child. */
    public void open(int fd, String path, int openFlags, int mode) throws ErrnoException {
        check(ADD_OPEN, ADD_OPEN.call(state, ptr(actions), fd, Native.cString(arena, path), openFlags, mode));
    }

    /** close(fd) in the child; glibc ignores a descriptor that is not open. */
    public void close(int fd) throws ErrnoException {
        check(ADD_CLOSE, ADD_CLOSE.call(state, ptr(actions), fd));
    }

    /** Whether this glibc can close every fd from a number up in the child ({@link #closeFrom}). */
    public static boolean canCloseFrom() {
        return ADD_CLOSEFROM.exists();
    }

    /** Closes every descriptor from {@code lowFd} up in the child (close_range); see {@link #canCloseFrom}. */
    public void closeFrom(int lowFd) throws ErrnoException {
        if (!canCloseFrom()) throw new UnsupportedOperationException("glibc has no posix_spawn_file_actions_addclosefrom_np");
        check(ADD_CLOSEFROM, ADD_CLOSEFROM.call(state, ptr(actions), lowFd));
    }

    /** chdir(dir) in the child, in order with the other file actions. */
    public void chdir(String dir) throws ErrnoException {
        check(ADD_CHDIR, ADD_CHDIR.call(state, ptr(actions), Native.cString(arena, dir)));
    }

    /** setpgid(0, pgid) in the child; 0 makes the child the leader of a new group. */
    public void processGroup(int pgid) throws ErrnoException {
        check(SET_PGROUP, SET_PGROUP.call(state, ptr(attributes), pgid));
        flags |= Constants.POSIX_SPAWN_SETPGROUP;
    }

    /**
     * An empty signal mask and every signal 1..64 at its default action in the child. The JVM blocks some signals
     * in its threads and ignores or handles others; a mask and ignored dispositions survive exec, and runc or a
     * container process must not start with them.
     *
     * <p>The default set is written by hand rather than with sigfillset, which leaves out glibc's two internal
     * signals (32, 33): glibc's spawn then sets those to SIG_IGN in the child (so that the parent's handlers
     * cannot run there before exec), and SIG_IGN would outlive the exec. Nothing sends those signals to a child
     * that has not exec'd yet. A sigset_t is an array of unsigned longs, signal n being bit n-1: the first word
     * holds signals 1..64. SIGKILL and SIGSTOP in the set are skipped by glibc.
     */
    public void defaultSignals() throws ErrnoException {
        long size = Arch.current().sigsetSize();
        MemorySegment none = arena.allocate(size, 8); // allocate zeroes: the empty set
        MemorySegment all = arena.allocate(size, 8);
        all.set(JAVA_LONG, 0, -1L);
        check(SET_SIGMASK, SET_SIGMASK.call(state, ptr(attributes), ptr(none)));
        check(SET_SIGDEFAULT, SET_SIGDEFAULT.call(state, ptr(attributes), ptr(all)));
        flags |= Constants.POSIX_SPAWN_SETSIGMASK | Constants.POSIX_SPAWN_SETSIGDEF;
    }

    /**
     * posix_spawnp(3): {@code argv[0]} without a '/' is looked up in this process's PATH. Returns the child's pid.
     * A failed exec is reported here (glibc's vfork-style spawn waits for the exec), with its errno.
     */
    public int spawnp(List<String> argv, List<String> env) throws ErrnoException {
        // posix_spawnattr_setflags takes a short: passed as a long, the callee reads its low 16 bits
        check(SET_FLAGS, SET_FLAGS.call(state, ptr(attributes), flags));
        MemorySegment pid = arena.allocate(JAVA_INT);
        int error = (int) SPAWNP.call(state, ptr(pid), Native.cString(arena, argv.getFirst()), ptr(actions),
                ptr(attributes), ptr(stringArray(argv)), ptr(stringArray(env)));
        if (error != 0) throw new ErrnoException("posix_spawnp", error, argv.getFirst());
        return pid.get(JAVA_INT, 0);
    }

    @Override
    public void close() {
        try {
            if (attributesReady) ATTR_DESTROY.call(state, ptr(attributes));
            if (actionsReady) ACTIONS_DESTROY.call(state, ptr(actions));
        } finally {
            arena.close();
        }
    }

    /** A NULL-terminated {@code char *[]}. */
    private MemorySegment stringArray(List<String> strings) {
        MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(strings.get(i)));
        }
        array.setAtIndex(ADDRESS, strings.size(), MemorySegment.NULL);
        return array;
    }

    /** The posix_spawn functions return 0 or an error number (an int). */
    private static void check(Native.Function call, long result) throws ErrnoException {
        int error = (int) result;
        if (error != 0) throw new ErrnoException(call.name(), error, null);
    }
}
