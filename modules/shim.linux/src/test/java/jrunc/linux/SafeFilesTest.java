package jrunc.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.FileStat;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.UnsafeFileException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** lstat, the hostile-file read and pidfd signalling, against the real kernel. */
class SafeFilesTest {
    @TempDir Path dir;
    private final OperatingSystem os = new LinuxOperatingSystem();

    @Test
    void lstatDescribesTheLinkNotItsTarget() throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "abc");
        Path link = Files.createSymbolicLink(dir.resolve("l"), file);
        FileStat f = os.lstat(file);
        assertEquals(FileStat.Type.REGULAR, f.type());
        assertEquals(3, f.size());
        assertEquals(0, f.uid());
        assertEquals(Files.getAttribute(file, "unix:ino"), f.inode());
        assertTrue(f.mountId() != 0, "the kernel gives a mount id");
        assertEquals(FileStat.Type.SYMLINK, os.lstat(link).type());
        assertEquals(FileStat.Type.DIRECTORY, os.lstat(dir).type());
        ErrnoException e = assertThrows(ErrnoException.class, () -> os.lstat(dir.resolve("missing")));
        assertEquals(ErrnoException.ENOENT, e.errno());
    }

    @Test
    void aBindMountHasAnotherMountIdOnTheSameDevice() throws Exception {
        Path source = Files.createDirectories(dir.resolve("source"));
        Path target = Files.createDirectories(dir.resolve("target"));
        os.mount(source.toString(), target, "", OperatingSystem.MountFlags.MS_BIND, null);
        try {
            FileStat a = os.lstat(source), b = os.lstat(target);
            assertEquals(a.device(), b.device());
            assertFalse(a.sameMount(b), "a bind mount is another mount");
            assertTrue(a.sameMount(os.lstat(dir)));
        } finally {
            os.unmount(target, OperatingSystem.MountFlags.MNT_DETACH);
        }
    }

    @Test
    void readsARegularFileUpToTheLimit() throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "4242\n");
        assertArrayEquals("4242\n".getBytes(), os.readRegularFile(file, 5));
        UnsafeFileException e = assertThrows(UnsafeFileException.class, () -> os.readRegularFile(file, 4));
        assertTrue(e.tooLarge());
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void aFifoIsRefusedWithoutBlocking() throws Exception {
        Path fifo = dir.resolve("init.pid");
        os.mkfifo(fifo, 0600);
        UnsafeFileException e = assertThrows(UnsafeFileException.class, () -> os.readRegularFile(fifo, 64));
        assertEquals(FileStat.Type.FIFO, e.type());
    }

    @Test
    void linksDevicesSocketsAndDirectoriesAreRefused() throws Exception {
        Path zero = Files.createSymbolicLink(dir.resolve("config.json"), Path.of("/dev/zero"));
        assertEquals(FileStat.Type.SYMLINK, assertThrows(UnsafeFileException.class, () -> os.readRegularFile(zero, 1 << 20)).type());
        assertEquals(FileStat.Type.CHARACTER_DEVICE,
                assertThrows(UnsafeFileException.class, () -> os.readRegularFile(Path.of("/dev/zero"), 1 << 20)).type());
        assertEquals(FileStat.Type.DIRECTORY, assertThrows(UnsafeFileException.class, () -> os.readRegularFile(dir, 64)).type());
        Path socket = dir.resolve("address");
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(socket));
            assertEquals(FileStat.Type.SOCKET, assertThrows(UnsafeFileException.class, () -> os.readRegularFile(socket, 64)).type());
        }
    }

    @Test
    void aPidfdSignalsTheProcessItWasOpenedFor() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        try {
            int fd = os.pidfdOpen((int) sleeper.pid());
            try {
                os.pidfdSendSignal(fd, 9);
                assertTrue(sleeper.waitFor(10, TimeUnit.SECONDS));
                assertEquals(137, sleeper.exitValue());
                ErrnoException gone = assertThrows(ErrnoException.class, () -> os.pidfdSendSignal(fd, 9));
                assertEquals(ErrnoException.ESRCH, gone.errno());
            } finally {
                os.close(fd);
            }
        } finally {
            sleeper.destroyForcibly();
        }
        assertNotEquals(0, ErrnoException.ESRCH);
    }
}
