package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What any shim must do for the plainest {@code ctr} use: run a command and hand back its output and exit code,
 * keep a detached task through kill and delete, and tell containerd about each step with an event
 * (topics: containerd v1.6.20 runtime/events.go; their order: runtime/v2/runc/task/service.go). One subclass per
 * {@link Shim} runs the same bodies.
 */
abstract class BaselineShimTests {

    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration EVENT_TIMEOUT = Duration.ofSeconds(20);

    @Test
    void runPrintsTheCommandsOutput(Ctr ctr) {
        CtrResult result = ctr.run("echo-hi", "echo", "hi");

        assertEquals(0, result.exitCode(), result::describe);
        assertEquals("hi", result.stdout().strip(), result::describe);
    }

    @Test
    void runExitsWithTheCommandsExitCode(Ctr ctr) {
        CtrResult result = ctr.run("exit-7", "sh", "-c", "exit 7");

        assertEquals(7, result.exitCode(), result::describe);
    }

    @Test
    void detachedTaskRunsUntilKilledAndIsThenRemoved(Ctr ctr) {
        ctr.runDetached("sleeper", "sleep", "600").requireSuccess();
        Ctr.Task running = ctr.awaitTaskStatus("sleeper", "RUNNING", STATE_TIMEOUT);
        assertTrue(running.pid() > 0, running::toString);

        ctr.ctr("task", "kill", "-s", "KILL", "sleeper").requireSuccess();
        ctr.awaitTaskStatus("sleeper", "STOPPED", STATE_TIMEOUT);

        ctr.ctr("task", "rm", "sleeper").requireSuccess();
        assertTrue(ctr.task("sleeper").isEmpty(), "task still listed after task rm");
        assertFalse(Files.exists(ctr.bundle("sleeper")), "bundle left behind: " + ctr.bundle("sleeper"));

        ctr.ctr("container", "rm", "sleeper").requireSuccess();
        assertFalse(ctr.ctr("container", "ls", "-q").requireSuccess().stdout().lines().anyMatch("sleeper"::equals),
                "container still listed after container rm");
    }

    /** containerd finds a running shim again from the bundle's address file after it restarts (containerd v1.6.20
     * runtime/v2/manager.go, loadExistingTasks, and runtime/v2/shim.go, cleanupAfterDeadShim). */
    @Test
    void runningTaskIsFoundAgainAfterContainerdCrashesAndRestarts(Ctr ctr) {
        ctr.runDetached("survivor", "sleep", "600").requireSuccess();
        long pid = ctr.awaitTaskStatus("survivor", "RUNNING", STATE_TIMEOUT).pid();

        ctr.containerd().kill9();
        ctr.containerd().restart();

        Ctr.Task reloaded = ctr.awaitTaskStatus("survivor", "RUNNING", STATE_TIMEOUT);
        assertEquals(pid, reloaded.pid(), "the reloaded task is a different process");
        ctr.ctr("task", "kill", "-s", "KILL", "survivor").requireSuccess();
        ctr.awaitTaskStatus("survivor", "STOPPED", STATE_TIMEOUT);
        ctr.ctr("task", "rm", "survivor").requireSuccess();
    }

    @Test
    void eventsFollowTheTaskFromCreateToDelete(Ctr ctr) {
        try (BackgroundCtr events = ctr.events()) {
            CtrResult result = ctr.run("evented", "sh", "-c", "exit 3");
            assertEquals(3, result.exitCode(), result::describe);

            List<String> topics = ctr.shim() == Shim.RUNC_V2
                    && ctr.containerd().release().goShimLosesEventsAndGroupSockets()
                    ? List.of("/tasks/create", "/tasks/start", "/tasks/exit") // its TaskDelete can be lost
                    : List.of("/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete");
            int previous = -1;
            for (String topic : topics) {
                String line = events.awaitLine(l -> l.contains(topic) && l.contains("\"evented\""), EVENT_TIMEOUT);
                int position = events.lines().indexOf(line);
                assertTrue(position > previous, topic + " came out of order:\n  "
                        + String.join("\n  ", events.lines()));
                previous = position;
                if (topic.equals("/tasks/exit")) {
                    assertTrue(line.contains("\"exit_status\":3"), "exit event without the exit status: " + line);
                }
            }
        }
    }
}
