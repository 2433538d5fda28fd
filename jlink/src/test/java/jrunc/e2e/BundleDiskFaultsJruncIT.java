package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The filesystem under the bundles failing beneath a running task, as a node's disk does: full (a small tmpfs
 * filled to the last page) or read-only (remounted so, as ext4 does on an error). An exec then cannot have runc
 * write its log or its pid file: it fails, saying the bundle's filesystem is full or read-only (runc itself could
 * log nothing), the task it was asked into keeps running, and once the task is removed (on a read-only bundle
 * only after the disk is writable again: runc cannot open its log there, and says so) nothing of it is left and
 * {@code shim-doctor scan} exits 0 ({@link NoLeftovers}).
 *
 * <p>The tmpfs is mounted over containerd's {@code io.containerd.runtime.v2.task} directory (one level above the
 * namespace's bundles, so that {@link NoLeftovers} still sees every bundle and mount under it) and unmounted after
 * each test, once nothing is mounted under it.
 */
@ContainerdTest(shim = Shim.JRUNC)
class BundleDiskFaultsJruncIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private Path disk;

    @BeforeEach
    void smallDisk(PrivateContainerd containerd) throws Exception {
        disk = containerd.bundle("x", "x").getParent().getParent();
        Files.createDirectories(disk);
        RuncFixture.run("mount", "-t", "tmpfs", "-o", "size=4m,mode=0711", "jrunc-e2e-bundles", disk.toString());
    }

    /** Whatever a failed test left goes first, on a writable disk with room; then the disk, nothing mounted under it. */
    @AfterEach
    void unmountDisk(Ctr ctr) throws Exception {
        RuncFixture.run("mount", "-o", "remount,rw", disk.toString());
        Files.deleteIfExists(disk.resolve("filler"));
        if (ctr.containerd().isRunning()) ctr.removeAll();
        for (Path mount : LeftoverSweep.mountsUnder(disk)) {
            if (!mount.equals(disk)) RuncFixture.run("umount", mount.toString());
        }
        RuncFixture.run("umount", disk.toString());
    }

    @Test
    void anExecOnAFullDiskFailsWithNoSpaceLeftAndTheTaskRunsOnUntilItIsRemovedWithNothingLeft(Ctr ctr) throws Exception {
        ctr.runDetached("full", "sleep", "600").requireSuccess();
        Ctr.Task task = ctr.awaitTaskStatus("full", "RUNNING", TIMEOUT);
        Path socket = TaskLifecycleIT.Residue.socketOf(ctr, "full");
        Path filler = disk.resolve("filler");
        fill(filler);

        CtrResult exec = ctr.ctr(TIMEOUT, "task", "exec", "--exec-id", "e1", "full", "true");
        assertFalse(exec.succeeded(), exec::describe);
        assertTrue(said(exec, "no space left"), exec::describe);
        assertEquals(task, ctr.awaitTaskStatus("full", "RUNNING", TIMEOUT), "the task the exec was asked into");

        // removed while the disk is still full: nothing the Stop path does may need a byte of it
        FaultsJruncIT.removeEverything(ctr, "full");
        Files.delete(filler);
        NoLeftovers.assertNothingLeft(ctr, List.of("full"), List.of(socket));
    }

    @Test
    void anExecOnAReadOnlyBundleFailsSayingSoAndTheTaskRunsOnUntilItIsRemovedWithNothingLeft(Ctr ctr) throws Exception {
        ctr.runDetached("ro", "sleep", "600").requireSuccess();
        Ctr.Task task = ctr.awaitTaskStatus("ro", "RUNNING", TIMEOUT);
        Path socket = TaskLifecycleIT.Residue.socketOf(ctr, "ro");
        RuncFixture.run("mount", "-o", "remount,ro", disk.toString());

        CtrResult exec = ctr.ctr(TIMEOUT, "task", "exec", "--exec-id", "e1", "ro", "true");
        assertFalse(exec.succeeded(), exec::describe);
        assertTrue(said(exec, "read-only"), exec::describe);
        assertEquals(task, ctr.awaitTaskStatus("ro", "RUNNING", TIMEOUT), "the task the exec was asked into");

        // every runc command logs into the bundle: none can run, so the task cannot be removed yet, and the error says why
        CtrResult rm = ctr.ctr("task", "rm", "-f", "ro");
        assertFalse(rm.succeeded(), rm::describe);
        assertTrue(rm.stderr().contains("log.json: read-only file system"), rm::describe);
        assertEquals(task, ctr.awaitTaskStatus("ro", "RUNNING", TIMEOUT), "the task the removal could not take down");
        // the operator makes the disk writable again: the task goes, with everything it had
        RuncFixture.run("mount", "-o", "remount,rw", disk.toString());
        FaultsJruncIT.removeEverything(ctr, "ro");
        NoLeftovers.assertNothingLeft(ctr, List.of("ro"), List.of(socket));
    }

    /** Writes {@code file} until the disk holding it has no space left. */
    private static void fill(Path file) throws IOException {
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) out.write(block);
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("No space left")) throw full;
        }
    }

    /** Whether ctr's output (the error, and what runc printed on the exec's stderr) says {@code words}. */
    private static boolean said(CtrResult r, String words) {
        return (r.stdout() + r.stderr()).toLowerCase(Locale.ROOT).contains(words);
    }
}
