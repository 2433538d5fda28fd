package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An init that shares the host's PID namespace takes nothing with it when it dies, so the shim ends the rest of its
 * container ({@code runc kill --all}) and publishes the init's exit only once nothing of it is left. containerd's
 * shim sends the kill but not the wait (containerd v1.6.20 runtime/v2/runc/task/service.go, checkProcesses): a child
 * can still run when {@code /tasks/exit} arrives, which is why there is no Go subclass of this test.
 */
@ContainerdTest(shim = Shim.JRUNC)
class HostPidKillAllJruncIT {
    private static final int RUNS = 3;
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    /**
     * The PID namespace this test, containerd and the shim run in: the "host" as containerd sees it. Not
     * /proc/1/ns/pid: where /proc shows an ancestor namespace (a CI runner inside a container), runc cannot join it
     * ("can't get final child's PID from pipe"), and pids read inside it would mean nothing here.
     */
    private static final String HOST_PID_NAMESPACE = "/proc/" + ProcessHandle.current().pid() + "/ns/pid";

    @Test
    void theInitsExitIsPublishedOnlyOnceEveryOtherProcessOfItsContainerIsGone(Ctr ctr) throws Exception {
        for (int run = 1; run <= RUNS; run++) {
            String id = "hostpid-" + run;
            try (BackgroundCtr events = ctr.events()) {
                ctr.run(List.of("-d", "--with-ns", "pid:" + HOST_PID_NAMESPACE), id,
                        "sh", "-c", "sleep 600 & echo $! > /child.pid; wait").requireSuccess();
                Path childPid = ctr.bundle(id).resolve("rootfs/child.pid");
                assertTrue(Poll.until(TIMEOUT, () -> read(childPid) > 0), "the init never wrote " + childPid);
                long child = read(childPid);
                assertTrue(ProcessHandle.of(child).isPresent(), "the child " + child + " runs before the kill");

                ctr.ctr("task", "kill", "-s", "KILL", id).requireSuccess();
                events.awaitLine(l -> l.contains("/tasks/exit") && l.contains("\"" + id + "\""), TIMEOUT);

                assertTrue(dead(child), "run " + run + ": the child " + child + " was still alive when the init's exit "
                        + "was published: " + state(child));
            }
            ctr.ctr("task", "rm", id).requireSuccess();
            ctr.ctr("container", "rm", id).requireSuccess();
        }
    }

    private static long read(Path file) {
        try {
            String text = Files.readString(file).strip();
            return text.isEmpty() ? 0 : Long.parseLong(text);
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** Gone, or a zombie waiting for the shim (its subreaper) to reap it: either way it runs no more. */
    private static boolean dead(long pid) {
        String state = state(pid);
        return state.isEmpty() || state.equals("Z") || state.equals("X");
    }

    /** The state letter of /proc/&lt;pid&gt;/stat, "" when the process is gone. */
    private static String state(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        } catch (IOException e) {
            return "";
        }
    }
}
