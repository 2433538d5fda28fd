package jrunc.core.spi;

/**
 * The signal numbers jrunc sends or handles, in one place (&lt;asm-generic/signal.h&gt;: the same on x86_64 and
 * aarch64), and how containerd reports a death by signal.
 */
public final class Signals {
    public static final int SIGUSR1 = 10, SIGKILL = 9, SIGTERM = 15;

    private Signals() {}

    /** containerd's exit status of a process killed by {@code signal}: 128 + the signal (SIGKILL → 137). */
    public static int exitStatus(int signal) {
        return 128 + signal;
    }
}
