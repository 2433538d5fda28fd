package jrunc.doctor.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jrunc.core.spi.OperatingSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Removal against the real kernel: links are removed not followed, and a mount inside stops everything under it. */
class TreeRemoverTest {
    @TempDir Path tmp;
    private final OperatingSystem os = OperatingSystem.load();

    @Test
    void linksAreRemovedAndTheirTargetsKept() throws IOException {
        Path outside = Files.writeString(Files.createDirectories(tmp.resolve("containerd-root")).resolve("data"), "keep");
        Path bundle = Files.createDirectories(tmp.resolve("bundle/rootfs/etc"));
        Files.createSymbolicLink(tmp.resolve("bundle/work"), outside.getParent());
        Files.createSymbolicLink(tmp.resolve("bundle/rootfs/etc/passwd"), outside);
        new TreeRemover(os).remove(tmp.resolve("bundle"));
        assertFalse(Files.exists(tmp.resolve("bundle")));
        assertEquals("keep", Files.readString(outside));
    }

    @Test
    void aBindMountOfTheSameFileSystemInsideIsNeverCrossed() throws IOException {
        Path volume = Files.createDirectories(tmp.resolve("volume"));
        Files.writeString(volume.resolve("precious"), "the container's data");
        Path target = Files.createDirectories(tmp.resolve("bundle/rootfs/data"));
        os.mount(volume.toString(), target, "", OperatingSystem.MountFlags.MS_BIND, null);
        try {
            IOException e = assertThrows(IOException.class, () -> new TreeRemover(os).remove(tmp.resolve("bundle")));
            assertTrue(e.getMessage().contains("another mount"), e.getMessage());
            assertEquals("the container's data", Files.readString(volume.resolve("precious")));
        } finally {
            os.unmount(target, OperatingSystem.MountFlags.MNT_DETACH);
        }
    }
}
