package jrunc.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import jrunc.core.spi.OperatingSystem.OpenFlags;
import jrunc.core.spi.Spawn;
import jrunc.linux.ffi.PosixSpawn;

/**
 * Starts a {@link Spawn} with posix_spawnp(3): glibc's vfork-style clone, so the JVM's heap is never copied and
 * an exec failure comes back as an errno. Reaping is the caller's business ({@link LinuxReaper}).
 */
final class Spawner {
    private Spawner() {}

    static int spawn(Spawn spawn) throws IOException {
        try (PosixSpawn posix = new PosixSpawn()) {
            for (FdPlan.Action action : FdPlan.of(spawn.fds()).actions()) {
                switch (action) {
                    case FdPlan.Dup2(int from, int to) -> posix.dup2(from, to);
                    case FdPlan.DevNull(int fd) -> posix.open(fd, "/dev/null", OpenFlags.O_RDWR, 0);
                    case FdPlan.Close(int fd) -> posix.close(fd);
                    case FdPlan.CloseFrom(int lowFd) -> closeFrom(posix, lowFd);
                }
            }
            if (spawn.cwd() != null) posix.chdir(spawn.cwd().toString());
            if (spawn.newProcessGroup()) posix.processGroup(0);
            posix.defaultSignals();
            return posix.spawnp(spawn.argv(), environment(spawn.env()));
        }
    }

    /**
     * Before glibc 2.34 there is no close-from action: close each fd open now instead. An fd opened by another
     * thread between the listing and the spawn could slip through, but only if it lacks O_CLOEXEC, which every fd
     * jrunc opens has.
     */
    private static void closeFrom(PosixSpawn posix, int lowFd) throws IOException {
        if (PosixSpawn.canCloseFrom()) {
            posix.closeFrom(lowFd);
            return;
        }
        int[] open;
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            open = fds.mapToInt(fd -> Integer.parseInt(fd.getFileName().toString())).toArray();
        }
        for (int fd : open) {
            if (fd >= lowFd) posix.close(fd); // includes the listing's own fd, closed by now: glibc ignores it
        }
    }

    /** {@code KEY=value} strings: the given map exactly, or this process's environment when it is null. */
    static List<String> environment(Map<String, String> env) {
        Map<String, String> source = env == null ? System.getenv() : env;
        List<String> entries = new ArrayList<>(source.size());
        source.forEach((k, v) -> entries.add(k + "=" + v));
        return entries;
    }
}
