package jrunc.linux.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import jrunc.core.spi.ErrnoException;

/**
 * One posix_spawnp(3) call being prepared: its file actions and attributes, in memory owned by this object.
 * The posix_spawn functions return an error number instead of setting errno, so no call state is captured.
 *
 * <p>{@code posix_spawn_file_actions_t} and {@code posix_spawnattr_t} are opaque: we allocate glibc's size for
 * the port ({@link Arch}) and let glibc's init functions fill them.
 */
public final class PosixSpawn implements AutoCloseable {

    /** The handles every spawn needs, bound together on the first spawn. */
    private static final class Handles {
        static final MethodHandle ACTIONS_INIT = bind("posix_spawn_file_actions_init", ADDRESS);
        static final MethodHandle ACTIONS_DESTROY = bind("posix_spawn_file_actions_destroy", ADDRESS);
        static final MethodHandle ADD_DUP2 = bind("posix_spawn_file_actions_adddup2", ADDRESS, JAVA_INT, JAVA_INT);
        static final MethodHandle ADD_OPEN = bind("posix_spawn_file_actions_addopen",
                ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
        static final MethodHandle ADD_CLOSE = bind("posix_spawn_file_actions_addclose", ADDRESS, JAVA_INT);
        static final MethodHandle ATTR_INIT = bind("posix_spawnattr_init", ADDRESS);
        static final MethodHandle ATTR_DESTROY = bind("posix_spawnattr_destroy", ADDRESS);
        static final MethodHandle SET_FLAGS = bind("posix_spawnattr_setflags", ADDRESS, JAVA_SHORT);
        static final MethodHandle SET_SIGMASK = bind("posix_spawnattr_setsigmask", ADDRESS, ADDRESS);
        static final MethodHandle SET_SIGDEFAULT = bind("posix_spawnattr_setsigdefault", ADDRESS, ADDRESS);
        static final MethodHandle SET_PGROUP = bind("posix_spawnattr_setpgroup", ADDRESS, JAVA_INT);
        // int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
        //                  const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
        static final MethodHandle SPAWNP = bind("posix_spawnp", ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
    }

    /** glibc 2.34 (Debian 12, Ubuntu 22.04); null on older ones. */
    private static final class AddCloseFrom {
        static final MethodHandle MH = Native.optionalDowncall("posix_spawn_file_actions_addclosefrom_np",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)).orElse(null);
    }

    /** glibc 2.29; bound only when a working directory is asked for. */
    private static final class AddChdir {
        static final MethodHandle MH = bind("posix_spawn_file_actions_addchdir_np", ADDRESS, ADDRESS);
    }

    private static MethodHandle bind(String symbol, MemoryLayout... args) {
        return Native.downcall(symbol, FunctionDescriptor.of(JAVA_INT, args));
    }

    private final Arena arena = Arena.ofConfined();
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
            check("posix_spawn_file_actions_init", invoke(Handles.ACTIONS_INIT, actions));
            actionsReady = true;
            check("posix_spawnattr_init", invoke(Handles.ATTR_INIT, attributes));
            attributesReady = true;
            ok = true;
        } finally {
            if (!ok) close();
        }
    }

    /** dup2(from, to) in the child. */
    public void dup2(int from, int to) throws ErrnoException {
        check("posix_spawn_file_actions_adddup2", invoke(Handles.ADD_DUP2, actions, from, to));
    }

    /** open(path, flags, mode) onto {@code fd} in the child. */
    public void open(int fd, String path, int openFlags, int mode) throws ErrnoException {
        int error;
        try {
            error = (int) Handles.ADD_OPEN.invokeExact(actions, fd, arena.allocateFrom(path), openFlags, mode);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        check("posix_spawn_file_actions_addopen", error);
    }

    /** close(fd) in the child; glibc ignores a descriptor that is not open. */
    public void close(int fd) throws ErrnoException {
        check("posix_spawn_file_actions_addclose", invoke(Handles.ADD_CLOSE, actions, fd));
    }

    /** Whether this glibc can close every fd from a number up in the child ({@link #closeFrom}). */
    public static boolean canCloseFrom() {
        return AddCloseFrom.MH != null;
    }

    /** Closes every descriptor from {@code lowFd} up in the child (close_range); see {@link #canCloseFrom}. */
    public void closeFrom(int lowFd) throws ErrnoException {
        if (!canCloseFrom()) throw new UnsupportedOperationException("glibc has no posix_spawn_file_actions_addclosefrom_np");
        check("posix_spawn_file_actions_addclosefrom_np", invoke(AddCloseFrom.MH, actions, lowFd));
    }

    /** chdir(dir) in the child, in order with the other file actions. */
    public void chdir(String dir) throws ErrnoException {
        check("posix_spawn_file_actions_addchdir_np", invoke(AddChdir.MH, actions, arena.allocateFrom(dir)));
    }

    /** setpgid(0, pgid) in the child; 0 makes the child the leader of a new group. */
    public void processGroup(int pgid) throws ErrnoException {
        check("posix_spawnattr_setpgroup", invoke(Handles.SET_PGROUP, attributes, pgid));
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
        check("posix_spawnattr_setsigmask", invoke(Handles.SET_SIGMASK, attributes, none));
        check("posix_spawnattr_setsigdefault", invoke(Handles.SET_SIGDEFAULT, attributes, all));
        flags |= Constants.POSIX_SPAWN_SETSIGMASK | Constants.POSIX_SPAWN_SETSIGDEF;
    }

    /**
     * posix_spawnp(3): {@code argv[0]} without a '/' is looked up in this process's PATH. Returns the child's pid.
     * A failed exec is reported here (glibc's vfork-style spawn waits for the exec), with its errno.
     */
    public int spawnp(List<String> argv, List<String> env) throws ErrnoException {
        check("posix_spawnattr_setflags", invoke(Handles.SET_FLAGS, attributes, flags));
        MemorySegment pid = arena.allocate(JAVA_INT);
        int error;
        try {
            error = (int) Handles.SPAWNP.invokeExact(pid, arena.allocateFrom(argv.getFirst()), actions, attributes,
                    stringArray(argv), stringArray(env));
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
        if (error != 0) throw new ErrnoException("posix_spawnp", error, argv.getFirst());
        return pid.get(JAVA_INT, 0);
    }

    @Override
    public void close() {
        try {
            if (attributesReady) invoke(Handles.ATTR_DESTROY, attributes);
            if (actionsReady) invoke(Handles.ACTIONS_DESTROY, actions);
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

    private static void check(String call, int error) throws ErrnoException {
        if (error != 0) throw new ErrnoException(call, error, null);
    }

    // Typed helpers so that every call goes through invokeExact with the handle's exact type.
    private static int invoke(MethodHandle handle, MemorySegment a) {
        try {
            return (int) handle.invokeExact(a);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    private static int invoke(MethodHandle handle, MemorySegment a, int b) {
        try {
            return (int) handle.invokeExact(a, b);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    private static int invoke(MethodHandle handle, MemorySegment a, int b, int c) {
        try {
            return (int) handle.invokeExact(a, b, c);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    private static int invoke(MethodHandle handle, MemorySegment a, short b) {
        try {
            return (int) handle.invokeExact(a, b);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    private static int invoke(MethodHandle handle, MemorySegment a, MemorySegment b) {
        try {
            return (int) handle.invokeExact(a, b);
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }
}
