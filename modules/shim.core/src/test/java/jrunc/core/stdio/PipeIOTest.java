package jrunc.core.stdio;

import static org.junit.jupiter.api.Assertions.*;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jrunc.core.fake.FakeOperatingSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipeIOTest {
    @TempDir
    Path dir;
    private final FakeOperatingSystem os = new FakeOperatingSystem();
    private final ProcessIO.Owner owner = new ProcessIO.Owner(0, 0, "c1", "default");

    @Test
    void stdinIsCopiedToTheProcessWhichSeesEofAtTheEnd() throws Exception {
        Path stdin = Files.writeString(dir.resolve("stdin"), "input");
        ProcessIO io = ProcessIO.create(os, new Stdio(stdin.toString(), "", "", false), owner, null);
        int containerEnd = io.runcFds().get(0);
        // the process (here: the test) holds its end, as a child of runc would
        List<Object> held = os.retain(Map.of(0, containerEnd));
        ReadableByteChannel processStdin = (ReadableByteChannel) os.channel(containerEnd);
        io.start();
        try (InputStream in = Channels.newInputStream(processStdin)) {
            assertEquals("input", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        os.releaseAll(held);
        io.close();
    }

    @Test
    void stdoutAndStderrNamingOneRegularFileShareOneWriter() throws Exception {
        Path log = Files.writeString(dir.resolve("both.log"), "");
        ProcessIO io = ProcessIO.create(os, new Stdio("", log.toString(), log.toString(), false), owner, null);
        Map<Integer, Integer> fds = io.runcFds();
        List<Object> held = os.retain(Map.of(1, fds.get(1), 2, fds.get(2)));
        WritableByteChannel out = (WritableByteChannel) os.channel(fds.get(1));
        WritableByteChannel err = (WritableByteChannel) os.channel(fds.get(2));
        io.start();
        out.write(ByteBuffer.wrap("one\n".getBytes()));
        awaitContent(log, "one\n");
        err.write(ByteBuffer.wrap("two\n".getBytes()));
        awaitContent(log, "one\ntwo\n");
        os.releaseAll(held); // the process exits: both copiers reach EOF
        io.close();
        assertEquals(0, os.openFds());
    }

    @Test
    void closeBeforeStartReleasesEveryPipe() throws Exception {
        Path out = Files.writeString(dir.resolve("out"), "");
        ProcessIO io = ProcessIO.create(os, new Stdio("", out.toString(), out.toString(), false), owner, null);
        assertEquals(6, os.openFds(), "two pipes, and the file opened once and duplicated for stderr");
        io.close();
        assertEquals(0, os.openFds());
    }

    @Test
    void closeStopsTheCopyOfAnOutputSomethingStillHolds() throws Exception {
        Path log = Files.writeString(dir.resolve("out.log"), "");
        ProcessIO io = ProcessIO.create(os, new Stdio("", log.toString(), "", false), owner, null);
        int containerEnd = io.runcFds().get(1);
        // a child the process left behind holds its stdout: the pipe never reaches EOF
        List<Object> held = os.retain(Map.of(1, containerEnd));
        WritableByteChannel out = (WritableByteChannel) os.channel(containerEnd);
        io.start();
        out.write(ByteBuffer.wrap("before delete\n".getBytes()));
        awaitContent(log, "before delete\n");
        io.close(); // returns although the output is still open
        assertEquals(0, os.openFds(), "every descriptor of ours is closed; only the child's reference is left");
        os.releaseAll(held);
    }

    private static void awaitContent(Path file, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); // a condition, awaited generously
        while (!Files.readString(file).equals(expected)) {
            if (System.nanoTime() > deadline) fail(file + " holds \"" + Files.readString(file) + "\"");
            Thread.sleep(10);
        }
    }
}
