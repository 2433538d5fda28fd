package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * {@link ExecTerminalIT} on our shim, plus what Go's shim does not do: a window size sent before the exec's terminal
 * exists is the size its process reads first (Go's drops it: containerd v1.6.20 pkg/process/exec.go, resize).
 */
@ContainerdTest(shim = Shim.JRUNC)
class ExecTerminalJruncIT extends ExecTerminalIT {

    @Test
    void aSizeSentBeforeStartIsWhatTheProcessReadsFirst(Ctr ctr) throws Exception {
        String out = execWithTerminal(ctr, "stty size", new int[] {101, 33});
        assertEquals("33 101", out.strip(), "the first read of the terminal's size");
    }
}
