package jrunc.linux.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import jrunc.core.spi.OperatingSystem;
import org.junit.jupiter.api.Test;

class LayoutTest {

    @Test
    void sockaddrUnIs110BytesWithThePathAfterTheFamily() {
        assertEquals(110, SockaddrUn.LAYOUT.byteSize());
        assertEquals(2, SockaddrUn.SUN_PATH_OFFSET);
        assertEquals(107, SockaddrUn.MAX_PATH_BYTES);
    }

    @Test
    void sockaddrUnHoldsFamilyAndNulTerminatedPath() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = SockaddrUn.of(arena, "/run/x.sock".getBytes(StandardCharsets.UTF_8));
            assertEquals(Constants.AF_UNIX, SockaddrUn.family(address));
            assertEquals("/run/x.sock", address.getString(SockaddrUn.SUN_PATH_OFFSET));
        }
    }

    @Test
    void sockaddrUnRefusesAPathWithNoRoomForItsNul() {
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalArgumentException.class, () -> SockaddrUn.of(arena, new byte[108]));
        }
    }

    @Test
    void callStateCarriesAnIntErrno() {
        var errno = Native.callStateLayout().select(PathElement.groupElement("errno"));
        assertEquals(ValueLayout.JAVA_INT.byteSize(), errno.byteSize());
    }

    @Test
    void glibcSizesOfOpaqueSpawnTypesPerPort() {
        for (Arch arch : Arch.values()) {
            assertEquals(80, arch.spawnFileActionsSize(), arch + " posix_spawn_file_actions_t");
            assertEquals(336, arch.spawnAttrSize(), arch + " posix_spawnattr_t");
            assertEquals(128, arch.sigsetSize(), arch + " sigset_t (1024 bits)");
        }
    }

    @Test
    void portIsPickedFromOsArch() {
        assertEquals(Arch.X86_64, Arch.of("amd64"));
        assertEquals(Arch.AARCH64, Arch.of("aarch64"));
        var e = assertThrows(UnsupportedOperationException.class, () -> Arch.of("riscv64"));
        assertTrue(e.getMessage().contains("riscv64"), e.getMessage());
    }

    @Test
    void constantsAgreeWithTheSpiAndWithEachOther() {
        assertEquals(OperatingSystem.OpenFlags.O_CLOEXEC, Constants.O_CLOEXEC);
        assertEquals(Constants.O_CLOEXEC, Constants.SOCK_CLOEXEC, "SOCK_CLOEXEC is defined as O_CLOEXEC");
        assertEquals(Constants.PR_SET_CHILD_SUBREAPER + 1, Constants.PR_GET_CHILD_SUBREAPER);
        assertEquals(0x0e, Constants.POSIX_SPAWN_SETPGROUP | Constants.POSIX_SPAWN_SETSIGDEF
                | Constants.POSIX_SPAWN_SETSIGMASK, "three distinct glibc flag bits");
    }

    @Test
    void statxIs256BytesWithTheKernelsOffsets() {
        assertEquals(256, Statx.LAYOUT.byteSize());
        assertEquals(28, Statx.offsetOf("stx_mode"));
        assertEquals(32, Statx.offsetOf("stx_ino"));
        assertEquals(40, Statx.offsetOf("stx_size"));
        assertEquals(112, Statx.offsetOf("stx_mtime"));
        assertEquals(136, Statx.offsetOf("stx_dev_major"));
        assertEquals(144, Statx.offsetOf("stx_mnt_id"));
    }

    @Test
    void oNoFollowPerPort() {
        assertEquals(0400000, Arch.X86_64.openNoFollow());
        assertEquals(0100000, Arch.AARCH64.openNoFollow());
    }
}
