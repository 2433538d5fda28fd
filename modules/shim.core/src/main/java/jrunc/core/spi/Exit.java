package jrunc.core.spi;

import java.time.Instant;

/**
 * A reaped child. {@code status} is containerd's exit status: the exit code, or 128 + signal number when a signal
 * killed it (SIGKILL → 137).
 */
public record Exit(int pid, int status, Instant at) {

    /** Decodes a wait(2) status word. */
    public static int statusOf(int waitStatus) {
        int signal = waitStatus & 0x7f;
        return signal == 0 ? (waitStatus >> 8) & 0xff : Signals.exitStatus(signal);
    }
}
