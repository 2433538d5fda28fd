package jrunc.linux;

import static jrunc.linux.Children.OS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.Spawn;
import jrunc.linux.ffi.Constants;
import jrunc.linux.ffi.Libc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpawnTest {
    @TempDir
    Path dir;

    @Test
    void listeningSocketArrivesOnFd3InANewProcessGroup() throws Exception {
        int socket = OS.listenUnix(dir.resolve("s.sock"));
        try {
            var result = Children.run(Spawn.of(List.of("sh", "-c",
                            "echo \"$(readlink /proc/$$/fd/3) $$ $(cut -d' ' -f5 /proc/$$/stat)\""))
                    .withFds(Map.of(3, socket)).inNewProcessGroup());
            Matcher m = Pattern.compile("socket:\\[\\d+] (\\d+) (\\d+)\n").matcher(result.out());
            assertTrue(m.matches(), result.out());
            assertEquals(result.pid(), Integer.parseInt(m.group(1)));
            assertEquals(result.pid(), Integer.parseInt(m.group(2)), "pgid == pid");
            assertEquals(0, result.exit().status());
        } finally {
            OS.close(socket);
        }
    }

    @Test
    void fdMappedToItsOwnNumberReachesTheChildDespiteCloexec() throws Exception {
        int fd = 200;
        assumeFalse(Files.exists(Path.of("/proc/self/fd/" + fd)), "fd 200 is taken in this JVM");
        int socket = OS.listenUnix(dir.resolve("s.sock"));
        Libc.dup3(socket, fd, Constants.O_CLOEXEC);
        try {
            assertTrue(Children.isCloseOnExec(fd));
            var result = Children.run(new Spawn(List.of("sh", "-c", "readlink /proc/$$/fd/200"), null, null,
                    Map.of(fd, fd), false, false));
            assertTrue(result.out().startsWith("socket:["), result.out());
        } finally {
            OS.close(fd);
            OS.close(socket);
        }
    }

    @Test
    void childSeesOnlyItsMappedFdsEvenOnesOpenedWithoutCloexec() throws Exception {
        int[] pipe = OS.pipe();
        int leaky = Libc.dup(pipe[0]); // no FD_CLOEXEC: only the spawn's close-from keeps it out
        try {
            assertFalse(Children.isCloseOnExec(leaky));
            var result = Children.sh("ls /proc/$$/fd; readlink /proc/$$/fd/0 /proc/$$/fd/2");
            assertEquals("0\n1\n2\n/dev/null\n/dev/null\n", result.out());
        } finally {
            OS.close(leaky);
            OS.close(pipe[0]);
            OS.close(pipe[1]);
        }
    }

    @Test
    void environmentIsExactlyTheGivenMap() throws Exception {
        var result = Children.run(Spawn.of(List.of("/usr/bin/env")).withEnv(Map.of("FOO", "bar baz")));
        assertEquals("FOO=bar baz\n", result.out());
    }

    @Test
    void noEnvironmentMeansThisProcesssEnvironment() throws Exception {
        assertEquals(System.getenv("PATH") + "\n", Children.sh("echo \"$PATH\"").out());
    }

    @Test
    void workingDirectoryIsHonoured() throws Exception {
        var result = Children.run(Spawn.of(List.of("pwd")).withCwd(dir));
        assertEquals(dir.toRealPath() + "\n", result.out());
    }

    @Test
    void childStartsWithNoBlockedOrIgnoredSignals() throws Exception {
        var result = Children.sh("exec grep -E '^Sig(Blk|Ign)' /proc/self/status");
        assertEquals("SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n", result.out());
    }

    @Test
    void missingProgramFailsTheSpawnWithEnoent() {
        var e = assertThrows(ErrnoException.class,
                () -> OS.spawn(Spawn.of(List.of("jrunc-no-such-program-" + ProcessHandle.current().pid()))));
        assertEquals(ErrnoException.ENOENT, e.errno());
    }
}
