package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The harness's own promise: after the worst a crash test can do (containerd SIGKILLed with a task running, so
 * its shim, socket, runc state and rootfs mount are all orphaned), {@link PrivateContainerd#close()} leaves
 * nothing behind. Uses Go's shim, whose behaviour is known.
 */
class PrivateContainerdIT {

    @Test
    void closeRemovesWhatAnOrphanedShimLeft() throws IOException {
        Path dir;
        Path socket;
        long shimPid;
        String namespace = "e2e-harness-" + Long.toHexString(System.nanoTime());
        try (PrivateContainerd containerd = PrivateContainerd.start()) {
            dir = containerd.dir();
            BusyboxImage.importInto(containerd, namespace);
            Ctr ctr = new Ctr(containerd, namespace, Shim.RUNC_V2);
            ctr.runDetached("orphan", "sleep", "600").requireSuccess();
            ctr.awaitTaskStatus("orphan", "RUNNING", Duration.ofSeconds(20));
            socket = Path.of(Files.readString(ctr.bundle("orphan").resolve("address")).strip()
                    .substring("unix://".length()));
            shimPid = shimPid(containerd.address());

            containerd.kill9();

            assertTrue(Files.exists(socket), "the shim's socket should outlive containerd: " + socket);
            assertTrue(ProcessHandle.of(shimPid).map(ProcessHandle::isAlive).orElse(false),
                    "the shim should outlive containerd");
        }

        assertFalse(Files.exists(socket), "shim socket left behind: " + socket);
        assertFalse(ProcessHandle.of(shimPid).map(ProcessHandle::isAlive).orElse(false), "shim left running");
        assertFalse(Files.exists(Path.of("/run/containerd/runc", namespace)), "runc state left behind");
        assertEquals(List.of(), LeftoverSweep.mountsUnder(dir), "mounts left behind");
        assertFalse(Files.exists(dir), "private containerd directory left behind: " + dir);
    }

    /** The shim whose {@code -address} is this containerd's socket; there is exactly one in this test. */
    private static long shimPid(String address) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(args -> Arrays.asList(args).contains(address))
                        .orElse(false))
                .filter(p -> p.info().command().map(c -> c.contains("containerd-shim")).orElse(false))
                .mapToLong(ProcessHandle::pid)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no shim process with -address " + address));
    }
}
