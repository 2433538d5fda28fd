package jrunc.linux;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import jrunc.core.spi.Exit;
import jrunc.core.spi.Reaper;
import jrunc.core.spi.Spawn;

/** Test helpers: run a child through the reaper and collect what it printed on stdout, and poll with a deadline. */
final class Children {
    static final LinuxOperatingSystem OS = new LinuxOperatingSystem();

    record Result(int pid, String out, Exit exit) {}

    private Children() {}

    static Result sh(String script) throws Exception {
        return run(Spawn.of(List.of("sh", "-c", script)));
    }

    /** Starts {@code spawn} with fd 1 on a pipe (unless it maps fd 1 itself), reads to EOF, waits for the exit. */
    static Result run(Spawn spawn) throws Exception {
        int[] pipe = OS.pipe();
        Map<Integer, Integer> fds = new HashMap<>(spawn.fds());
        fds.putIfAbsent(1, pipe[1]);
        Reaper.Child child;
        try {
            child = OS.reaper().start(spawn.withFds(fds));
        } finally {
            OS.close(pipe[1]); // the child has its own copy; ours would keep the pipe from reaching EOF
        }
        String out;
        try (InputStream in = OS.inputStream(pipe[0])) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        return new Result(child.pid(), out, child.exit().get(10, TimeUnit.SECONDS));
    }

    /** A child that sleeps until killed, registered with the reaper. */
    static Reaper.Child sleeper() throws Exception {
        return OS.reaper().start(Spawn.of(List.of("sleep", "60")));
    }

    static Exit kill(Reaper.Child child) throws Exception {
        OS.kill(child.pid(), 9);
        return child.exit().get(10, TimeUnit.SECONDS);
    }

    static boolean eventually(BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (Instant.now().isBefore(deadline)) {
            if (condition.getAsBoolean()) return true;
            Thread.sleep(20);
        }
        return condition.getAsBoolean();
    }

    /** FD_CLOEXEC as the kernel reports it in /proc/self/fdinfo ("flags:" is octal, O_CLOEXEC = 02000000). */
    static boolean isCloseOnExec(int fd) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd))) {
            if (line.startsWith("flags:")) return (Integer.parseInt(line.substring(6).trim(), 8) & 02000000) != 0;
        }
        throw new AssertionError("no flags line for fd " + fd);
    }
}
