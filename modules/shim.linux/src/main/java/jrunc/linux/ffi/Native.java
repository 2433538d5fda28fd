package jrunc.linux.ffi;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Optional;
import jrunc.core.spi.ErrnoException;

/**
 * How every glibc function of this package is called: through one downcall handle of one shape,
 * {@code long f(long, long, long, long, long, long)} with errno captured, whose first parameter is the function's
 * address ({@link Linker#downcallHandle(FunctionDescriptor, Linker.Option...)}).
 *
 * <p>One shape because linking is what a downcall costs on a JVM that lives for one {@code start} or {@code delete}:
 * JDK 25 spins a stub class per distinct {@code FunctionDescriptor} and cannot keep it in the AOT cache; the first
 * costs about 40 M instructions (linker set-up included), each further shape about 25 M more (callgrind,
 * {@code scripts/bench-manager.sh}). With a typed descriptor per function, {@code start} linked 14 shapes.
 *
 * <p>Why one shape is correct on the two ports jrunc supports ({@link Arch}): the System V x86-64 and the Linux
 * AAPCS64 calling conventions pass the first six integer and pointer arguments in 64-bit integer registers,
 * whatever their C width, and a callee reads only the low bits of a narrower one; a result narrower than 64 bits
 * is the low bits of the return register, so an {@code int} result is {@code (int)} of the long; arguments beyond
 * a function's own are never read. Variadic functions (open, prctl, fcntl, ioctl, syscall) take integer arguments
 * the same way on both ports; x86-64 wants the number of vector registers in {@code %al}, which the linker sets
 * (to 0) for every downcall. The functions called here take at most six integer or pointer arguments, no
 * floating-point ones and no structs by value. A pointer goes as {@link MemorySegment#address()} of native memory
 * that stays alive (its arena open) for the call.
 */
final class Native {
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));

    private Native() {}

    /** The linker, the default lookup and the one handle: set up on the first native call of the process. */
    private static final class Shape {
        static final Linker LINKER;
        static final MethodHandle CALL;

        static {
            requireNativeAccess();
            LINKER = Linker.nativeLinker();
            CALL = LINKER.downcallHandle(FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
                    JAVA_LONG, JAVA_LONG), Linker.Option.captureCallState("errno"));
        }
    }

    /** A glibc function, looked up on its first call. */
    static final class Function {
        private final String name;
        private volatile Optional<MemorySegment> address; // a benign race: every thread finds the same symbol

        private Function(String name) {
            this.name = name;
        }

        String name() {
            return name;
        }

        /** Whether this glibc has the symbol (some are newer than the oldest glibc jrunc runs on). */
        boolean exists() {
            return lookup().isPresent();
        }

        private Optional<MemorySegment> lookup() {
            Optional<MemorySegment> found = address;
            if (found == null) {
                found = Shape.LINKER.defaultLookup().find(name);
                address = found;
            }
            return found;
        }

        /**
         * Calls the function with up to six integer or pointer arguments (unused ones 0); errno is saved in
         * {@code state} right after the call, before the JVM can run anything that would overwrite it.
         */
        long call(MemorySegment state, long a0, long a1, long a2, long a3, long a4, long a5) {
            MemorySegment target = lookup()
                    .orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name + " (glibc too old?)"));
            try {
                return (long) Shape.CALL.invokeExact(target, state, a0, a1, a2, a3, a4, a5);
            } catch (Throwable t) {
                throw unexpected(t);
            }
        }

        long call(MemorySegment state) {
            return call(state, 0, 0, 0, 0, 0, 0);
        }

        long call(MemorySegment state, long a0) {
            return call(state, a0, 0, 0, 0, 0, 0);
        }

        long call(MemorySegment state, long a0, long a1) {
            return call(state, a0, a1, 0, 0, 0, 0);
        }

        long call(MemorySegment state, long a0, long a1, long a2) {
            return call(state, a0, a1, a2, 0, 0, 0);
        }

        long call(MemorySegment state, long a0, long a1, long a2, long a3) {
            return call(state, a0, a1, a2, a3, 0, 0);
        }

        long call(MemorySegment state, long a0, long a1, long a2, long a3, long a4) {
            return call(state, a0, a1, a2, a3, a4, 0);
        }
    }

    /** The function named {@code symbol}; nothing is linked or looked up until it is called. */
    static Function function(String symbol) {
        return new Function(symbol);
    }

    /** A pointer argument: the address of native memory, or 0 for NULL. */
    static long ptr(MemorySegment segment) {
        return segment.address();
    }

    /** A C string argument, NULL for null. */
    static long cString(Arena arena, String s) {
        return s == null ? 0 : arena.allocateFrom(s).address();
    }

    static MemorySegment callState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    static ErrnoException failure(String call, MemorySegment callState, String detail) {
        return new ErrnoException(call, errno(callState), detail);
    }

    /**
     * invokeExact declares Throwable; a downcall itself throws nothing checked, so whatever arrives here is a bug
     * (wrong handle type) or a JVM error, and it is passed on unchecked.
     */
    static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException e) return e;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("native call failed", t);
    }

    /** Layout of the call-state buffer (for tests). */
    static StructLayout callStateLayout() {
        return CALL_STATE;
    }

    /*
     * JDK 25 lets a restricted call through with a warning on stderr when the flag is missing. That warning
     * would corrupt the address that `start` prints, so refuse instead, naming the flag that fixes it.
     */
    private static void requireNativeAccess() {
        Module module = Native.class.getModule();
        if (!module.isNativeAccessEnabled()) {
            String name = module.isNamed() ? module.getName() : "ALL-UNNAMED";
            throw new IllegalStateException("native access is not enabled for " + name
                    + ": run java with --enable-native-access=" + name);
        }
    }
}
