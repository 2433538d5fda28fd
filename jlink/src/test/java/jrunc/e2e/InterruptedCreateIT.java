package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * containerd SIGKILLed while a Create is under way, right after runc has written {@code init.pid}, then restarted:
 * the task runc made must be known to the shim and served, whatever became of the Create's caller (the client's
 * FIFOs are gone with it), so that containerd finds it CREATED and {@code task rm -f} removes everything.
 *
 * <p>Go's shim is not held to this: on this machine it loses the task in the first run (containerd, restarted,
 * lists none). Its ttrpc server cancels a call's context when the connection drops (ttrpc v1.1.1 server.go), and
 * the FIFO opens that follow {@code runc create} take that context (containerd v1.6.20 pkg/process/init.go,
 * Create; containerd/fifo OpenFifo), so its Create fails after runc has made the container. The test therefore
 * has one subclass, ours.
 */
abstract class InterruptedCreateIT {
    private static final int RUNS = 10;
    private static final Duration INIT_PID_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(30);

    @Test
    void aTaskWhoseRuncCreateFinishedIsServedAfterContainerdDiedAndCameBack(Ctr ctr) throws Exception {
        PrivateContainerd containerd = ctr.containerd();
        List<String> ids = new ArrayList<>();
        List<Path> sockets = new ArrayList<>();
        for (int run = 1; run <= RUNS; run++) {
            String id = "interrupted-" + run;
            ids.add(id);
            Path initPid = ctr.bundle(id).resolve("init.pid");
            try (BackgroundCtr create = containerd.ctrInBackground("-n", ctr.namespace(), "run", "-d", "--runtime",
                    ctr.shim().runtime(), BusyboxImage.REF, id, "sleep", "600")) {
                assertTrue(appears(initPid), "run " + run + ": runc never wrote " + initPid + "; ctr said " + create.lines());
                containerd.kill9();
            }
            containerd.restart();

            ctr.awaitTaskStatus(id, "CREATED", STATE_TIMEOUT);
            sockets.add(TaskLifecycleIT.Residue.socketOf(ctr, id));
            ctr.ctr("task", "rm", "-f", id).requireSuccess();
            ctr.ctr("container", "rm", id).requireSuccess();
        }
        TaskLifecycleIT.Residue.awaitNothingLeft(ctr, ids, sockets);
    }

    /** Watches closely for the file: containerd is to die the moment runc has written it. */
    private static boolean appears(Path file) throws InterruptedException {
        long deadline = System.nanoTime() + INIT_PID_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(file)) return true;
            Thread.sleep(1);
        }
        return false;
    }
}
