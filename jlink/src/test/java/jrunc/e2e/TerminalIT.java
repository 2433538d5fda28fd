package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Tasks and execs with a terminal ({@code ctr -t}; containerd v1.6.20 pkg/process/io.go and ResizePty in
 * runtime/v2/task/shim.proto): the shim gets the
 * pty master from runc over the console socket, copies between it and ctr, and sets the window size ctr asks for.
 *
 * <p>{@code ctr -t} insists that its own stdin is a terminal, so ctr runs under util-linux {@code script}, which
 * gives it one. Inside, {@code stty} first sets that terminal's size; ctr sends the same size to the task with
 * ResizePty right after Start, so the container polls {@code stty size} until it reads that size (ctr makes the
 * call after the process is already running, with either shim). A size sent before Start is {@link ExecTerminalIT}'s.
 * One subclass per {@link Shim}: Go's shim is the reference.
 */
abstract class TerminalIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(20);
    private static final String ROWS = "33", COLS = "101";
    /**
     * Prints the terminal's name, then its size once it is the client's (at most ~5 s): ctr sends ResizePty only after
     * Start, with either shim, so the process may read the pty's first size (0x0, or nothing at all from busybox's
     * {@code stty size}) before the resize lands. The loop waits for the expected size itself, not for any output.
     */
    private static final String TTY_AND_SIZE = "tty; i=0; until [ \"$(stty size 2>/dev/null)\" = \"" + ROWS + " " + COLS
            + "\" ] || [ $i -ge 50 ]; do sleep 0.1; i=$((i+1)); done; stty size";
    private static final Pattern PTS = Pattern.compile("/dev/pts/\\d+");

    @Test
    void runWithATerminalSeesAPtyOfTheClientsSize(Ctr ctr) {
        CtrResult result = underScript(ctr, "run", "-t", "--rm", "--runtime", ctr.shim().runtime(), BusyboxImage.REF,
                "tty-run", "sh", "-c", TTY_AND_SIZE);

        assertEquals(0, result.exitCode(), result::describe);
        assertTrue(PTS.matcher(result.stdout()).find(), "no /dev/pts/N from tty: " + result.describe());
        assertTrue(result.stdout().contains(ROWS + " " + COLS), "size not " + ROWS + "x" + COLS + ": " + result.describe());
    }

    @Test
    void whatTheClientTypesReachesTheTaskThroughItsTerminal(Ctr ctr) throws IOException {
        Path typed = Files.writeString(Files.createTempFile("jrunc-e2e-typed-", ".txt"), "hello tty\n");
        try {
            CtrResult result = underScript(ctr, typed.toFile(), "run", "-t", "--rm", "--runtime", ctr.shim().runtime(),
                    BusyboxImage.REF, "tty-read", "sh", "-c", "read line; echo \"got <$line>\"");

            assertEquals(0, result.exitCode(), result::describe);
            assertTrue(result.stdout().contains("got <hello tty>"), result::describe);
        } finally {
            Files.deleteIfExists(typed);
        }
    }

    @Test
    void execWithATerminalSeesAPtyOfTheClientsSize(Ctr ctr) {
        ctr.runDetached("tty-host", "sleep", "600").requireSuccess();
        ctr.awaitTaskStatus("tty-host", "RUNNING", STATE_TIMEOUT);

        CtrResult result = underScript(ctr, "task", "exec", "-t", "--exec-id", "tty-e1", "tty-host",
                "sh", "-c", TTY_AND_SIZE + "; exit 5");

        assertEquals(5, result.exitCode(), result::describe);
        assertTrue(PTS.matcher(result.stdout()).find(), "no /dev/pts/N from tty: " + result.describe());
        assertTrue(result.stdout().contains(ROWS + " " + COLS), "size not " + ROWS + "x" + COLS + ": " + result.describe());
        ctr.ctr("task", "kill", "-s", "KILL", "tty-host").requireSuccess();
        ctr.awaitTaskStatus("tty-host", "STOPPED", STATE_TIMEOUT);
        ctr.ctr("task", "rm", "tty-host").requireSuccess();
        ctr.ctr("container", "rm", "tty-host").requireSuccess();
    }

    /**
     * {@code script -qec "stty rows R cols C; exec ctr …" /dev/null}: script's exit status is ctr's (-e), and
     * everything the terminal showed comes back on script's stdout.
     */
    private static CtrResult underScript(Ctr ctr, String... ctrArgs) {
        return underScript(ctr, new File("/dev/null"), ctrArgs);
    }

    /** As above, with {@code typed} as what the user types into script's terminal. */
    private static CtrResult underScript(Ctr ctr, File typed, String... ctrArgs) {
        List<String> args = new ArrayList<>(List.of("-n", ctr.namespace()));
        args.addAll(List.of(ctrArgs));
        String ctrLine = ctr.containerd().ctrCommand(args.toArray(String[]::new)).stream()
                .map(TerminalIT::shellQuote).collect(Collectors.joining(" "));
        return Commands.run(List.of("script", "-qec", "stty rows " + ROWS + " cols " + COLS + "; exec " + ctrLine,
                "/dev/null"), TIMEOUT, typed);
    }

    private static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
