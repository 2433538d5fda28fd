package jrunc.linux.ffi;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * {@code struct epoll_event} from {@code <sys/epoll.h>}: {@code uint32_t events; epoll_data_t data;}. glibc declares
 * it packed on x86_64 (12 bytes, {@code data} at offset 4) and naturally aligned elsewhere (16 bytes, {@code data} at
 * offset 8), so the layout is the port's.
 */
public final class EpollEvent {
    /** x86_64: {@code __attribute__ ((__packed__))}. */
    static final StructLayout PACKED = MemoryLayout.structLayout(
            JAVA_INT.withName("events"), JAVA_LONG_UNALIGNED.withName("data"));
    /** aarch64 and the rest: 4 bytes of padding before {@code data}. */
    static final StructLayout ALIGNED = MemoryLayout.structLayout(
            JAVA_INT.withName("events"), MemoryLayout.paddingLayout(4), JAVA_LONG_UNALIGNED.withName("data"));

    public static final StructLayout LAYOUT = Arch.current() == Arch.X86_64 ? PACKED : ALIGNED;
    private static final VarHandle EVENTS = LAYOUT.varHandle(PathElement.groupElement("events"));
    private static final VarHandle DATA = LAYOUT.varHandle(PathElement.groupElement("data"));

    private EpollEvent() {}

    /** Fills entry {@code index} of an array of events. */
    public static void set(MemorySegment events, int index, int mask, long data) {
        long base = index * LAYOUT.byteSize();
        EVENTS.set(events, base, mask);
        DATA.set(events, base, data);
    }

    public static int events(MemorySegment events, int index) {
        return (int) EVENTS.get(events, index * LAYOUT.byteSize());
    }

    public static long data(MemorySegment events, int index) {
        return (long) DATA.get(events, index * LAYOUT.byteSize());
    }
}
