package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnmounterTest {
    @TempDir Path tmp;
    private final FakeOs os = new FakeOs();

    @Test
    void deepestFirstThenTheStackOnTheDirectoryItselfAndNothingBeside() {
        String rootfs = tmp.resolve("rootfs").toString();
        os.mounts.addAll(List.of(rootfs, rootfs + "/data", rootfs + "/data/deeper", rootfs, rootfs + "-other"));
        List<StopResult.Step> steps = new Unmounter(os, Duration.ZERO).unmountAll(tmp.resolve("rootfs"), Unmounter.Busy.FAIL);
        assertEquals(List.of(rootfs + "/data/deeper", rootfs + "/data", rootfs, rootfs), os.unmounted);
        assertEquals(List.of(rootfs + "-other"), os.mounts);
        assertTrue(steps.stream().allMatch(StopResult.Step::ok), steps.toString());
    }

    @Test
    void everyCallRefusesToFollowALink() {
        String rootfs = tmp.resolve("rootfs").toString();
        os.mounts.add(rootfs);
        new Unmounter(os, Duration.ZERO).unmountAll(tmp.resolve("rootfs"), Unmounter.Busy.FAIL);
        assertTrue(os.unmountFlags.stream().allMatch(f -> (f & 8) != 0), os.unmountFlags.toString());
    }

    @Test
    void aDirectoryReachedThroughALinkedParentMatchesMountinfosRealPath() throws Exception {
        Path real = Files.createDirectories(tmp.resolve("real/bundle"));
        Path link = Files.createSymbolicLink(tmp.resolve("var-run"), tmp.resolve("real"));
        String rootfs = real.toRealPath().resolve("rootfs").toString();
        os.mounts.addAll(List.of(rootfs, rootfs + "/volume"));
        new Unmounter(os, Duration.ZERO).unmountAll(link.resolve("bundle/rootfs"), Unmounter.Busy.FAIL);
        assertEquals(List.of(rootfs + "/volume", rootfs), os.unmounted);
    }

    @Test
    void stillBusyAfterTheRetriesIsReportedOrDetachedOnRequest() {
        String rootfs = tmp.resolve("rootfs").toString();
        os.mounts.add(rootfs);
        os.busyCount.put(rootfs, 1000);
        List<StopResult.Step> failed = new Unmounter(os, Duration.ZERO).unmountAll(tmp.resolve("rootfs"), Unmounter.Busy.FAIL);
        assertFalse(failed.getLast().ok());
        assertEquals(List.of(rootfs), os.mounts);
        List<StopResult.Step> detached = new Unmounter(os, Duration.ZERO).unmountAll(tmp.resolve("rootfs"), Unmounter.Busy.DETACH);
        assertTrue(detached.stream().anyMatch(s -> s.ok() && s.detail().contains("detached")), detached.toString());
    }

    @Test
    void aMountBusyForAWhileIsUnmountedOnALaterTry() {
        String rootfs = tmp.resolve("rootfs").toString();
        os.mounts.add(rootfs);
        os.busyCount.put(rootfs, 2);
        List<StopResult.Step> steps = new Unmounter(os, Duration.ZERO).unmountAll(tmp.resolve("rootfs"), Unmounter.Busy.FAIL);
        assertEquals(List.of(rootfs), os.unmounted);
        assertEquals(1, steps.size(), steps.toString());
        assertTrue(steps.getFirst().ok(), steps.toString());
        assertTrue(os.unmountFlags.stream().noneMatch(f -> (f & jrunc.core.spi.OperatingSystem.MountFlags.MNT_DETACH) != 0),
                "no lazy unmount for a mount that came free");
    }

    @Test
    void nothingMountedIsNoStepAndAStackIsUnmountedWhole() {
        assertEquals(List.of(), new Unmounter(os, Duration.ZERO).unmountAll(tmp.resolve("rootfs"), Unmounter.Busy.FAIL));
        String rootfs = tmp.resolve("rootfs").toString();
        for (int i = 0; i < 3; i++) os.mounts.add(rootfs);
        List<StopResult.Step> steps = new Unmounter(os, Duration.ZERO).unmountAll(tmp.resolve("rootfs"), Unmounter.Busy.FAIL);
        assertEquals(List.of(rootfs, rootfs, rootfs), os.unmounted);
        assertEquals(3, steps.size());
        assertTrue(steps.stream().allMatch(StopResult.Step::ok), steps.toString());
    }

    @Test
    void aMountStillBusyIsReportedOnceAndNotDetachedUnlessAsked() {
        String vol = tmp.resolve("rootfs/vol").toString(), rootfs = tmp.resolve("rootfs").toString();
        os.mounts.add(rootfs);
        os.mounts.add(vol);
        os.busyCount.put(vol, 1000);
        List<StopResult.Step> steps = new Unmounter(os, Duration.ZERO).unmountAll(tmp.resolve("rootfs"), Unmounter.Busy.FAIL);
        assertEquals(List.of(rootfs), os.unmounted, "the rest still goes");
        List<StopResult.Step> failed = steps.stream().filter(s -> !s.ok()).toList();
        assertEquals(1, failed.size(), steps.toString());
        assertEquals(vol, failed.getFirst().target());
        assertTrue(failed.getFirst().detail().contains("errno 16"), failed.getFirst().detail()); // EBUSY
    }
}
