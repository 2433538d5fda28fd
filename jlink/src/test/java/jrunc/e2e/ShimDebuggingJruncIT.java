package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Debugging a shim as one debugs Go's: containerd at log level debug starts it with {@code -debug}, and its debug
 * lines reach containerd's log; SIGUSR1 writes a dump of its threads there (containerd v1.6.20
 * runtime/v2/shim/shim.go, dumpStacks).
 */
@ContainerdTest(shim = Shim.JRUNC)
class ShimDebuggingJruncIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @Test
    void withDebugTheShimsDebugLinesReachContainerdsLog(Ctr ctr) throws Exception {
        ctr.run("chatty", "true").requireSuccess();
        assertTrue(Poll.until(TIMEOUT, () -> log(ctr).lines().anyMatch(l -> l.contains("level=debug")
                        && l.contains("runtime=io.containerd.jrunc.v2") && l.contains("Create answered OK"))),
                "no debug line of the shim in containerd's log:\n" + ctr.containerd().logTail(40));
        assertTrue(log(ctr).lines().anyMatch(l -> l.contains("level=debug") && l.contains(" create ") && l.contains(" took ")),
                "the runc commands are logged at debug level");
    }

    @Test
    void sigusr1WritesAThreadDumpIntoTheShimsLog(Ctr ctr) throws Exception {
        ctr.runDetached("dumped", "sleep", "600").requireSuccess();
        ctr.awaitTaskStatus("dumped", "RUNNING", TIMEOUT);
        List<Long> shims = TaskLifecycleIT.Residue.shimDaemons(ctr);
        assertEquals(1, shims.size(), "shim daemons: " + shims);

        Commands.run(List.of("kill", "-USR1", Long.toString(shims.getFirst())), TIMEOUT).requireSuccess();

        assertTrue(Poll.until(TIMEOUT, () -> log(ctr).contains("=== END thread dump ===")),
                "no thread dump in containerd's log:\n" + ctr.containerd().logTail(20));
        String dump = log(ctr).lines().filter(l -> l.contains("=== BEGIN thread dump ===")).findFirst().orElseThrow();
        assertTrue(dump.contains("jrunc-reaper") && dump.contains("ttrpc-accept"), "platform and virtual threads: " + dump);
        assertEquals("RUNNING", ctr.task("dumped").orElseThrow().status(), "the shim serves on after the dump");
    }

    private static String log(Ctr ctr) {
        try {
            return Files.readString(ctr.containerd().logFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
