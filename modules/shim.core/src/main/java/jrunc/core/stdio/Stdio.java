package jrunc.core.stdio;

/**
 * The stdio a client asked for in Create or Exec: FIFO paths, {@code file://} or {@code binary://} URIs, or ""
 * for a stream that is not used (containerd v1.6.20 pkg/process/io.go).
 */
public record Stdio(String stdin, String stdout, String stderr, boolean terminal) {
    public Stdio {
        stdin = stdin == null ? "" : stdin;
        stdout = stdout == null ? "" : stdout;
        stderr = stderr == null ? "" : stderr;
    }

    /** All three empty: runc's stdio is /dev/null. */
    public boolean isNull() {
        return stdin.isEmpty() && stdout.isEmpty() && stderr.isEmpty();
    }
}
