package jrunc.doctor.node;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.OperatingSystem;

/**
 * Signals a process only while it provably is the one judged: a pidfd is opened first (it names that process for
 * good, even if the pid is reused afterwards), then /proc must still show the judged start time, then the signal
 * goes through the pidfd. Pid 1, the doctor and its ancestors are refused whatever the plan says.
 */
final class Signaller {
    enum Result { SIGNALLED, GONE, REUSED, PROTECTED }

    private static final int SIGKILL = 9;
    /** How long a SIGKILLed process may take to go (or become a zombie, which holds nothing any more). */
    private static final Duration KILL_WAIT = Duration.ofSeconds(2);

    private final OperatingSystem os;
    private final Path proc;

    Signaller(OperatingSystem os, Path proc) {
        this.os = os;
        this.proc = proc;
    }

    Path proc() {
        return proc;
    }

    Result kill(int pid, long startTicks) throws IOException {
        if (pid <= 1 || ProcTable.protectedPids(proc).contains(pid)) return Result.PROTECTED;
        int fd;
        try {
            fd = os.pidfdOpen(pid);
        } catch (ErrnoException e) {
            if (e.errno() == ErrnoException.ESRCH) return Result.GONE;
            throw e;
        }
        try {
            long now = ProcTable.startTicks(proc, pid);
            if (now < 0) return Result.GONE;
            if (now != startTicks) return Result.REUSED;
            if (!ProcTable.isRunning(proc, pid, startTicks)) return Result.GONE;
            try {
                os.pidfdSendSignal(fd, SIGKILL);
            } catch (ErrnoException e) {
                if (e.errno() == ErrnoException.ESRCH) return Result.GONE;
                throw e;
            }
        } finally {
            os.close(fd);
        }
        // Wait for it to go, so the removals that follow do not race a dying process still holding the rootfs.
        awaitExit(pid, startTicks, KILL_WAIT);
        return Result.SIGNALLED;
    }

    boolean isRunning(int pid, long startTicks) {
        return ProcTable.isRunning(proc, pid, startTicks);
    }

    /** Polls until the process is gone or a zombie; true when it went within {@code timeout}. */
    boolean awaitExit(int pid, long startTicks, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (ProcTable.isRunning(proc, pid, startTicks)) {
            if (System.nanoTime() > deadline) return false;
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
