package jrunc.linux.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.Optional;
import jrunc.core.spi.ErrnoException;

/**
 * Binding of glibc symbols and errno capture, shared by the classes of this package.
 *
 * <p>Nothing here runs before the first native call: each downcall handle lives in a holder class next to its
 * wrapper and is bound when that wrapper first runs, so a path such as {@code start} pays only for the calls it
 * makes.
 */
final class Native {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private Native() {}

    /** A downcall whose C function does not set errno (getters such as geteuid). */
    static MethodHandle downcall(String symbol, FunctionDescriptor descriptor, Linker.Option... options) {
        return optionalDowncall(symbol, descriptor, options)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + symbol + " (glibc too old?)"));
    }

    /** A downcall to a symbol that older glibc versions lack. */
    static Optional<MethodHandle> optionalDowncall(String symbol, FunctionDescriptor descriptor,
                                                   Linker.Option... options) {
        requireNativeAccess();
        return LINKER.defaultLookup().find(symbol).map(address -> LINKER.downcallHandle(address, descriptor, options));
    }

    /**
     * A downcall that reports failure through errno. The handle takes one extra leading {@link MemorySegment}: the
     * call-state buffer from {@link #callState}, where errno is saved right after the call, before the JVM can run
     * anything that would overwrite it.
     */
    static MethodHandle errnoDowncall(String symbol, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = Arrays.copyOf(options, options.length + 1);
        all[options.length] = CAPTURE_ERRNO;
        return downcall(symbol, descriptor, all);
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
