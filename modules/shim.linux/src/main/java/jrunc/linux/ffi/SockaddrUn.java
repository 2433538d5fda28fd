package jrunc.linux.ffi;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/** {@code struct sockaddr_un} from {@code <sys/un.h>}: 110 bytes on every Linux port. */
public final class SockaddrUn {
    /** sun_path holds the path and its terminating NUL. */
    public static final int PATH_CAPACITY = 108;
    /** The longest filesystem socket path, in bytes: one byte of sun_path is the NUL. */
    public static final int MAX_PATH_BYTES = PATH_CAPACITY - 1;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_SHORT.withName("sun_family"),
            MemoryLayout.sequenceLayout(PATH_CAPACITY, JAVA_BYTE).withName("sun_path"));

    private static final VarHandle SUN_FAMILY = LAYOUT.varHandle(PathElement.groupElement("sun_family"));
    public static final long SUN_PATH_OFFSET = LAYOUT.byteOffset(PathElement.groupElement("sun_path"));

    private SockaddrUn() {}

    /** A zeroed AF_UNIX address for {@code path}, which must be at most {@link #MAX_PATH_BYTES} long. */
    public static MemorySegment of(Arena arena, byte[] path) {
        if (path.length > MAX_PATH_BYTES) {
            throw new IllegalArgumentException("unix socket path is " + path.length + " bytes, max " + MAX_PATH_BYTES);
        }
        MemorySegment address = arena.allocate(LAYOUT);
        SUN_FAMILY.set(address, 0L, (short) Constants.AF_UNIX);
        MemorySegment.copy(path, 0, address, JAVA_BYTE, SUN_PATH_OFFSET, path.length);
        return address;
    }

    public static short family(MemorySegment address) {
        return (short) SUN_FAMILY.get(address, 0L);
    }
}
