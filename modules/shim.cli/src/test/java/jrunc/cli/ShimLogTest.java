package jrunc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The daemon's log lines, as containerd copies them into its own log next to Go shims' logrus lines. */
class ShimLogTest {
    private static final Pattern LOGRUS = Pattern.compile(
            "time=\"[0-9T:.\\-]+Z\" level=(debug|info|warning|error) msg=\"(?:[^\"\\\\]|\\\\.)*\" namespace=\\S+ id=\\S+ runtime=io\\.containerd\\.jrunc\\.v2");
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();
    private PrintStream stderr;

    @BeforeEach
    void captureStderr() {
        stderr = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStderr() {
        System.setErr(stderr);
    }

    private String lines() {
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void writesOneLogrusLinePerMessageWithTheTasksFields() {
        ShimLog.configure(false, "k8s.io", "c1");
        System.Logger log = new ShimLog().getLogger("x", getClass().getModule());
        log.log(System.Logger.Level.INFO, "serving on {0}", "/run/containerd/s/abc");
        log.log(System.Logger.Level.WARNING, "said \"no\" twice");
        String[] lines = lines().split("\n");
        assertEquals(2, lines.length, lines());
        for (String line : lines) assertTrue(LOGRUS.matcher(line).matches(), line);
        assertTrue(lines[0].contains("msg=\"serving on /run/containerd/s/abc\""), lines[0]);
        assertTrue(lines[1].contains("level=warning msg=\"said \\\"no\\\" twice\""), lines[1]);
    }

    @Test
    void debugLinesOnlyWithDashDebug() {
        ShimLog.configure(false, "n", "c1");
        System.Logger log = new ShimLog().getLogger("x", getClass().getModule());
        log.log(System.Logger.Level.DEBUG, "hidden");
        assertEquals("", lines());
        ShimLog.configure(true, "n", "c1");
        log.log(System.Logger.Level.DEBUG, "shown");
        assertTrue(lines().contains("level=debug msg=\"shown\""), lines());
    }

    @Test
    void anExceptionStaysOnTheSameLine() {
        ShimLog.configure(false, "n", "c1");
        new ShimLog().getLogger("x", getClass().getModule())
                .log(System.Logger.Level.ERROR, "create failed\nsecond line", new IllegalStateException("runc said \"no\"\n"));
        String out = lines();
        assertEquals(1, out.split("\n").length, out);
        assertTrue(LOGRUS.matcher(out.strip()).matches(), out);
    }
}
