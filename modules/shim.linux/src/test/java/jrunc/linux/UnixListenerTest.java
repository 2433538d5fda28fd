package jrunc.linux;

import static jrunc.linux.Children.OS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.InputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.Exit;
import jrunc.core.spi.Reaper;
import jrunc.core.spi.Spawn;
import jrunc.linux.ffi.Constants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixListenerTest {
    @TempDir
    Path dir;

    @Test
    void listenerIsOwnerOnlyCloseOnExecAndAcceptsConnections() throws Exception {
        Path path = dir.resolve("shim.sock");
        int fd = OS.listenUnix(path);
        try {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
            assertTrue(Children.isCloseOnExec(fd));
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                assertTrue(client.isConnected()); // queued in the backlog, nobody has to accept
            }
        } finally {
            OS.close(fd);
        }
    }

    @Test
    void existingSocketPathIsEaddrinuse() throws Exception {
        Path path = dir.resolve("shim.sock");
        int fd = OS.listenUnix(path);
        try {
            var e = assertThrows(ErrnoException.class, () -> OS.listenUnix(path));
            assertEquals(ErrnoException.EADDRINUSE, e.errno());
        } finally {
            OS.close(fd);
        }
    }

    @Test
    void missingParentDirectoryIsCreatedOwnerOnly() throws Exception {
        Path path = dir.resolve("s/shim.sock");
        OS.close(OS.listenUnix(path));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path.getParent())));
    }

    @Test
    void pathLongerThanSunPathIsRefusedClearly() {
        Path path = dir.resolve("x".repeat(120));
        var e = assertThrows(ErrnoException.class, () -> OS.listenUnix(path));
        assertEquals(Constants.ENAMETOOLONG, e.errno());
        assertTrue(e.getMessage().contains("107"), e.getMessage());
    }

    @Test
    void childJvmServesTheListenerItInheritsOnFd3() throws Exception {
        Path path = dir.resolve("shim.sock");
        int listener = OS.listenUnix(path);
        int[] diagnostics = OS.pipe();
        int[] redirected = OS.pipe();
        Reaper.Child child;
        try {
            child = OS.reaper().start(new Spawn(childJvm(), null, null,
                    Map.of(2, diagnostics[1], 3, listener, 4, redirected[1]), true, false));
        } finally {
            OS.close(listener);
            OS.close(diagnostics[1]);
            OS.close(redirected[1]);
        }
        try (InputStream errors = OS.inputStream(diagnostics[0]); InputStream fd4 = OS.inputStream(redirected[0])) {
            String pid = answer(path);
            Exit exit = child.exit().get(60, TimeUnit.SECONDS);
            String stderr = new String(errors.readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, exit.status(), stderr);
            assertEquals(Integer.toString(child.pid()), pid, stderr);
            assertEquals("stderr now goes to fd 4\n", new String(fd4.readAllBytes(), StandardCharsets.UTF_8), stderr);
        }
    }

    /** Connects (the socket is listening before the child JVM is even up) and reads what the child writes. */
    private static String answer(Path path) throws Exception {
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            ByteBuffer buffer = ByteBuffer.allocate(64);
            while (client.read(buffer) != -1) {
                if (!buffer.hasRemaining()) break;
            }
            return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
        }
    }

    /** This JVM's java with our classes and their dependencies on the class path. */
    private static List<String> childJvm() {
        List<String> classPath = new ArrayList<>();
        Stream.of(System.getProperty("jdk.module.path"), System.getProperty("java.class.path"))
                .filter(p -> p != null && !p.isEmpty())
                .forEach(p -> classPath.addAll(List.of(p.split(File.pathSeparator))));
        classPath.add(Path.of("target", "test-classes").toAbsolutePath().toString());
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                "-cp", String.join(File.pathSeparator, classPath), InheritedListenerChild.class.getName());
    }
}
