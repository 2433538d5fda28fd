package jrunc.linux;

import static jrunc.linux.Children.OS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.OperatingSystem.MountFlags;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MountTest {
    @TempDir
    Path dir;

    @Test
    void unmountOfAPlainDirectoryIsEinval() {
        var e = assertThrows(ErrnoException.class, () -> OS.unmount(dir, 0));
        assertEquals(ErrnoException.EINVAL, e.errno());
    }

    @Test
    void tmpfsMountShowsInMountinfoAndUnmountRemovesIt() throws Exception {
        Path rootfs = Files.createDirectory(dir.resolve("rootfs"));
        OS.mount("jrunc-test", rootfs, "tmpfs", MountFlags.MS_NOSUID | MountFlags.MS_NODEV, "size=1m,mode=0700");
        try {
            assertTrue(OS.mountInfo().contains(" " + rootfs + " "), "mounted");
            Files.writeString(rootfs.resolve("x"), "on tmpfs");
        } finally {
            OS.unmount(rootfs, MountFlags.MNT_DETACH);
        }
        assertFalse(OS.mountInfo().contains(" " + rootfs + " "), "unmounted");
        assertFalse(Files.exists(rootfs.resolve("x")), "the file lived on the tmpfs");
    }
}
