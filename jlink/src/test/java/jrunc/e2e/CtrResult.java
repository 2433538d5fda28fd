package jrunc.e2e;

import java.util.List;

/**
 * What one {@code ctr} invocation did: its exit code and both output streams, in full.
 *
 * @param command  the whole command line, for messages
 * @param exitCode the process's exit code; {@code -1} when it was killed for running past its timeout
 * @param stdout   everything it wrote to stdout
 * @param stderr   everything it wrote to stderr
 * @param timedOut whether the harness had to kill it
 */
public record CtrResult(List<String> command, int exitCode, String stdout, String stderr, boolean timedOut) {

    public CtrResult {
        command = List.copyOf(command);
    }

    public boolean succeeded() {
        return !timedOut && exitCode == 0;
    }

    /** Fails the calling test with the whole story when the command did not succeed; returns itself otherwise. */
    public CtrResult requireSuccess() {
        if (!succeeded()) {
            throw new AssertionError("command failed: " + describe());
        }
        return this;
    }

    /** A multi-line account of the call, meant for assertion messages. */
    public String describe() {
        return String.join(" ", command)
                + (timedOut ? "\n  TIMED OUT (killed by the harness)" : "\n  exit code " + exitCode)
                + "\n  stdout: " + stdout.strip()
                + "\n  stderr: " + stderr.strip();
    }
}
