package jrunc.core.mount;

import static jrunc.core.spi.OperatingSystem.MountFlags.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import jrunc.core.fake.FakeOperatingSystem;
import jrunc.proto.types.Mount;
import org.junit.jupiter.api.Test;

class RootfsTest {
    private final FakeOperatingSystem os = new FakeOperatingSystem();
    private final Path target = Path.of("/bundle/rootfs");
    private final Rootfs rootfs = new Rootfs(os, target);

    @Test
    void overlayGoesOutAsOneMountWithItsData() throws Exception {
        rootfs.mountAll(List.of(Mount.newBuilder().setType("overlay").setSource("overlay")
                .addOptions("index=off").addOptions("lowerdir=/l1:/l2").addOptions("upperdir=/u").addOptions("workdir=/w").build()));
        assertEquals(List.of(new FakeOperatingSystem.MountCall("overlay", target, "overlay", 0, "index=off,lowerdir=/l1:/l2,upperdir=/u,workdir=/w")),
                os.mounts);
    }

    @Test
    void readOnlyBindIsRemountedReadOnly() throws Exception {
        rootfs.mountAll(List.of(Mount.newBuilder().setType("bind").setSource("/snap").addOptions("rbind").addOptions("ro").build()));
        assertEquals(List.of(
                new FakeOperatingSystem.MountCall("/snap", target, "bind", MS_BIND | MS_REC | MS_RDONLY, null),
                new FakeOperatingSystem.MountCall("", target, "", MS_BIND | MS_REC | MS_RDONLY | MS_REMOUNT, null)), os.mounts);
    }

    @Test
    void propagationIsASecondCallWithoutSource() throws Exception {
        rootfs.mountAll(List.of(Mount.newBuilder().setType("bind").setSource("/snap").addOptions("rbind").addOptions("rprivate").build()));
        assertEquals(new FakeOperatingSystem.MountCall("", target, "", MS_PRIVATE | MS_REC, null), os.mounts.get(1));
    }

    @Test
    void aFailedMountUnmountsWhatWasMountedBefore() {
        os.failMountOfSource = "/second";
        IOException e = assertThrows(IOException.class, () -> rootfs.mountAll(List.of(
                Mount.newBuilder().setType("bind").setSource("/first").addOptions("rbind").build(),
                Mount.newBuilder().setType("bind").setSource("/second").addOptions("rbind").build())));
        assertTrue(e.getMessage().startsWith("failed to mount rootfs component"), e.getMessage());
        assertEquals(0, os.mountDepth(target));
    }

    @Test
    void loopMountsAreRefusedBeforeAnythingIsMounted() {
        List<Mount> mounts = List.of(Mount.newBuilder().setType("bind").setSource("/first").addOptions("rbind").build(),
                Mount.newBuilder().setType("ext4").setSource("/img").addOptions("loop").build());
        assertTrue(Rootfs.unsupported(mounts).startsWith("mount option loop is not supported by jrunc"));
        assertThrows(IOException.class, () -> rootfs.mountAll(mounts));
        assertEquals(List.of(), os.mounts, "nothing was mounted");
    }

    @Test
    void unmountAllUnmountsStackedMounts() throws Exception {
        rootfs.mountAll(List.of(
                Mount.newBuilder().setType("bind").setSource("/a").addOptions("bind").build(),
                Mount.newBuilder().setType("bind").setSource("/b").addOptions("bind").build()));
        assertEquals(2, os.mountDepth(target));
        rootfs.unmountAll();
        assertEquals(0, os.mountDepth(target));
        assertEquals(2, os.unmounts.size());
        rootfs.unmountAll(); // nothing mounted: EINVAL ends it quietly
    }
}
