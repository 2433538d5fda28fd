package jrunc.linux;

import static jrunc.linux.Children.OS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import jrunc.core.spi.ConsoleSocket;
import jrunc.core.spi.OperatingSystem.OpenFlags;
import jrunc.linux.ffi.Libc;
import jrunc.linux.ffi.Terminal;
import jrunc.linux.ffi.UnixSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console socket against the kernel: a real pty master travels as SCM_RIGHTS, as runc sends it. */
class ConsoleSocketTest {
    private static final int O_NOCTTY = 0400;
    private static final Duration LIMIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void receivesThePtyMasterAndResizesIt() throws Exception {
        int ptmx = Libc.open("/dev/ptmx", OpenFlags.O_RDWR | O_NOCTTY | OpenFlags.O_CLOEXEC, 0);
        try (ConsoleSocket console = OS.openConsoleSocket(dir)) {
            Path socketDir = console.path().getParent();
            assertEquals("pty.sock", console.path().getFileName().toString());
            assertTrue(socketDir.getFileName().toString().startsWith("pty"));
            assertEquals(dir, socketDir.getParent());
            CompletableFuture<Void> sent = sendFrom(console.path(), ptmx, 1);

            int master = console.receiveMaster(LIMIT);
            sent.get();
            try {
                assertTrue(Children.isCloseOnExec(master));
                OS.resizePty(master, 132, 43);
                // the received fd is the same pty: its size reads back through the fd we sent
                assertEquals(new Terminal.WinSize(43, 132, 0, 0), Terminal.winSize(ptmx));
            } finally {
                OS.close(master);
            }
            console.close();
            assertFalse(Files.exists(socketDir), "close removes the socket's directory");
        } finally {
            OS.close(ptmx);
        }
    }

    @Test
    void aMessageWithTwoFdsIsRefused() throws Exception {
        int ptmx = Libc.open("/dev/ptmx", OpenFlags.O_RDWR | O_NOCTTY | OpenFlags.O_CLOEXEC, 0);
        try (ConsoleSocket console = OS.openConsoleSocket(dir)) {
            CompletableFuture<Void> sent = sendFrom(console.path(), ptmx, 2);
            IOException e = assertThrows(IOException.class, () -> console.receiveMaster(LIMIT));
            sent.get();
            assertTrue(e.getMessage().contains("expected one pty master fd, got 2"), e.getMessage());
        } finally {
            OS.close(ptmx);
        }
    }

    @Test
    void noConnectionWithinTheLimitFails() throws Exception {
        try (ConsoleSocket console = OS.openConsoleSocket(dir)) {
            IOException e = assertThrows(IOException.class, () -> console.receiveMaster(Duration.ofMillis(50)));
            assertTrue(e.getMessage().contains("no connection from runc"), e.getMessage());
        }
    }

    @Test
    void resizingSomethingThatIsNotATerminalFails() throws Exception {
        int[] pipe = OS.pipe();
        try {
            assertThrows(IOException.class, () -> OS.resizePty(pipe[0], 80, 24));
        } finally {
            OS.close(pipe[0]);
            OS.close(pipe[1]);
        }
    }

    /** What runc does: connect, then one sendmsg with the pty name as data and the master as SCM_RIGHTS. */
    private static CompletableFuture<Void> sendFrom(Path socket, int fd, int copies) {
        return CompletableFuture.runAsync(() -> {
            try {
                int s = UnixSocket.streamSocket();
                try {
                    Terminal.connect(s, socket.toString().getBytes(StandardCharsets.UTF_8));
                    int[] fds = new int[copies];
                    java.util.Arrays.fill(fds, fd);
                    Terminal.sendFds(s, "/dev/pts/99".getBytes(StandardCharsets.UTF_8), fds);
                } finally {
                    Libc.close(s);
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }
}
