package jrunc.linux;

import static jrunc.linux.Children.OS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.OperatingSystem.OpenFlags;
import jrunc.core.spi.StreamCopier;
import jrunc.core.spi.StreamCopier.SinkEnd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stdio loop on real pipes: each copy goes from the read end of a "process" pipe (written by the test, as a
 * container writes its stdout) to the write end of a "client" pipe (read by the test, as containerd's client reads
 * its FIFO). Every blocking read runs on its own thread and is awaited like any other condition: a copy that never
 * delivers fails the test with what it was waiting for, instead of leaving the read hanging.
 */
class StdioLoopTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    /** A copy between two fresh pipes: write {@link #writer}, read {@link #reader}. */
    private record Stream(StreamCopier.Copy copy, int writer, int reader) {}

    private static Stream stream(String name, SinkEnd end) throws IOException {
        int[] process = OS.pipe(), client = OS.pipe();
        return new Stream(OS.streamCopier().copy(name, process[0], client[1], end), process[1], client[0]);
    }

    private static CompletableFuture<Void> writeAndClose(int fd, byte[] data) {
        return CompletableFuture.runAsync(() -> {
            try (OutputStream out = OS.outputStream(fd)) {
                out.write(data);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, r -> Thread.ofPlatform().daemon().start(r));
    }

    /** Everything until end of file on {@code fd}, read on its own thread. */
    private static CompletableFuture<byte[]> readAllAsync(int fd) {
        return CompletableFuture.supplyAsync(() -> {
            try (InputStream in = OS.inputStream(fd)) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, r -> Thread.ofPlatform().daemon().start(r));
    }

    private static byte[] readAll(int fd) throws Exception {
        return await(readAllAsync(fd), "end of file on fd " + fd);
    }

    /** One read of {@code in} (a byte, or -1 at end of file), awaited. */
    private static int readOne(InputStream in) throws Exception {
        return await(CompletableFuture.supplyAsync(() -> {
            try {
                return in.read();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, r -> Thread.ofPlatform().daemon().start(r)), "a byte, or end of file");
    }

    /** Exactly {@code n} bytes of {@code in}, awaited. */
    private static byte[] readN(InputStream in, int n) throws Exception {
        return await(CompletableFuture.supplyAsync(() -> {
            try {
                return in.readNBytes(n);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, r -> Thread.ofPlatform().daemon().start(r)), n + " bytes");
    }

    private static <T> T await(CompletableFuture<T> future, String what) throws Exception {
        try {
            return future.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the copy never delivered " + what);
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void manyStreamsAtOnceEachArriveWholeAndInOrderOnOneThread() throws Exception {
        List<Stream> streams = new ArrayList<>();
        List<byte[]> inputs = new ArrayList<>();
        List<CompletableFuture<byte[]>> outputs = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            Stream s = stream("many-" + i, SinkEnd.AT_ONCE);
            streams.add(s);
            byte[] data = random(100_000 + i * 1000, i);
            inputs.add(data);
            writeAndClose(s.writer(), data);
            outputs.add(readAllAsync(s.reader()));
        }
        for (int i = 0; i < streams.size(); i++) {
            assertArrayEquals(inputs.get(i), outputs.get(i).get(LIMIT.toSeconds(), TimeUnit.SECONDS), "stream " + i);
            assertTrue(streams.get(i).copy().awaitFinished(LIMIT));
        }
        long loops = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("jrunc-stdio")).count();
        assertEquals(1, loops, "every stream is copied by the one loop thread");
    }

    @Test
    void aFloodIntoASinkNobodyReadsStallsOnlyItsOwnStreamAndLosesNothing() throws Exception {
        byte[] flood = random(1 << 20, 1);
        Stream stalled = stream("flood", SinkEnd.AT_ONCE);
        CompletableFuture<Void> floodWriter = writeAndClose(stalled.writer(), flood);

        Stream other = stream("other", SinkEnd.AT_ONCE);
        byte[] small = "the other task's output\n".getBytes(StandardCharsets.UTF_8);
        writeAndClose(other.writer(), small).get(LIMIT.toSeconds(), TimeUnit.SECONDS);
        assertArrayEquals(small, readAll(other.reader()), "a stalled stream does not hold up another");
        assertTrue(other.copy().awaitFinished(LIMIT));

        // two pipe buffers and one chunk in between hold far less than a MiB: the writer still waits, as a
        // container blocks on its full stdout pipe, and nothing was buffered without bound
        assertFalse(floodWriter.isDone(), "the flood's writer is held back by its unread sink");
        assertArrayEquals(flood, readAll(stalled.reader()), "once read, the flood arrives whole and in order");
        floodWriter.get(LIMIT.toSeconds(), TimeUnit.SECONDS);
        assertTrue(stalled.copy().awaitFinished(LIMIT));
    }

    @Test
    void whatWasInFlightWhenTheWriterClosedIsDeliveredBeforeEndOfFile() throws Exception {
        // fits in the two pipes and the copy's one chunk, so the writer finishes and closes while the client has
        // read nothing: part of it is waiting in the copy when the source ends
        byte[] data = random(120_000, 2);
        Stream s = stream("eof", SinkEnd.AT_ONCE);
        writeAndClose(s.writer(), data).get(LIMIT.toSeconds(), TimeUnit.SECONDS);
        assertArrayEquals(data, readAll(s.reader()), "everything, then end of file");
        assertTrue(s.copy().awaitFinished(LIMIT));
    }

    @Test
    void aSinkWhoseReaderHasGoneEndsOnlyItsOwnStream() throws Exception {
        AtomicInteger closed = new AtomicInteger();
        Stream gone = stream("gone", new SinkEnd() {
            public boolean mayClose() {
                return true;
            }

            public void closed() {
                closed.incrementAndGet();
            }
        });
        Stream alive = stream("alive", SinkEnd.AT_ONCE);
        OS.close(gone.reader()); // the client went away: writes to its end fail with EPIPE
        try (OutputStream out = OS.outputStream(gone.writer())) {
            out.write("lost".getBytes(StandardCharsets.UTF_8));
            assertTrue(gone.copy().awaitFinished(LIMIT), "EPIPE ends the copy");
            assertEquals(1, closed.get(), "the sink's end is told once");
            ErrnoException e = org.junit.jupiter.api.Assertions.assertThrows(ErrnoException.class, () -> {
                for (int i = 0; i < 100; i++) out.write(new byte[4096]);
            }, "the copy closed its source, so the writer learns of it too");
            assertEquals(ErrnoException.EPIPE, e.errno());
        }
        byte[] data = "still copied\n".getBytes(StandardCharsets.UTF_8);
        writeAndClose(alive.writer(), data).get(LIMIT.toSeconds(), TimeUnit.SECONDS);
        assertArrayEquals(data, readAll(alive.reader()));
    }

    @Test
    void cancellingACopyClosesBothEndsThoughItsWriterHoldsOn() throws Exception {
        Stream stdin = stream("stdin", SinkEnd.AT_ONCE);
        try (OutputStream client = OS.outputStream(stdin.writer())) {
            client.write("typed\n".getBytes(StandardCharsets.UTF_8));
            try (InputStream process = OS.inputStream(stdin.reader())) {
                assertArrayEquals("typed\n".getBytes(StandardCharsets.UTF_8), readN(process, 6));
                stdin.copy().cancel();
                assertTrue(stdin.copy().awaitFinished(LIMIT));
                assertEquals(-1, readOne(process), "the process sees end of file on its stdin");
            }
        }
    }

    @Test
    void stdinFromAFifoEndsOnlyOnceTheHoldIsDroppedAndTheClientHasClosed() throws Exception {
        Path fifo = dir.resolve("stdin");
        OS.mkfifo(fifo, 0600);
        // the shim's hold (a writer, so the FIFO has no EOF while it lasts) and its non-blocking read end
        int hold = OS.open(fifo, OpenFlags.O_RDWR, 0);
        int source = OS.open(fifo, OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK, 0);
        int[] process = OS.pipe();
        StreamCopier.Copy copy = OS.streamCopier().copy("stdin", source, process[1], SinkEnd.AT_ONCE);
        try (InputStream processStdin = OS.inputStream(process[0])) {
            try (OutputStream client = OS.outputStream(OS.open(fifo, OpenFlags.O_WRONLY, 0))) {
                client.write('a');
            }
            assertEquals('a', readOne(processStdin));
            // a client that closed and came back is still heard: the hold kept the stream from ending
            OutputStream client = OS.outputStream(OS.open(fifo, OpenFlags.O_WRONLY, 0));
            client.write('b');
            assertEquals('b', readOne(processStdin));
            OS.close(hold); // CloseIO
            client.close();
            assertEquals(-1, readOne(processStdin), "the process sees end of file on its stdin");
            assertTrue(copy.awaitFinished(LIMIT));
        }
    }

    @Test
    void theSinkStaysOpenUntilItsEndAllowsItToClose() throws Exception {
        AtomicBoolean allowed = new AtomicBoolean();
        AtomicInteger asked = new AtomicInteger();
        Stream s = stream("linger", () -> {
            asked.incrementAndGet();
            return allowed.get();
        });
        byte[] data = "done\n".getBytes(StandardCharsets.UTF_8);
        writeAndClose(s.writer(), data).get(LIMIT.toSeconds(), TimeUnit.SECONDS);
        try (InputStream client = OS.inputStream(s.reader())) {
            assertArrayEquals(data, readN(client, data.length));
            while (asked.get() < 3) Thread.onSpinWait(); // asked on the loop's ticks, never answered yes
            assertFalse(s.copy().awaitFinished(Duration.ZERO), "the sink is still open");
            allowed.set(true);
            assertTrue(s.copy().awaitFinished(LIMIT));
            assertEquals(-1, readOne(client), "the client sees end of file once the end allowed it");
        }
    }

    @Test
    void aRegularFileIsCopiedWholeAsSourceAndAsSink() throws Exception {
        byte[] data = random(200_000, 3);
        Path input = Files.write(dir.resolve("stdin"), data);
        Path log = dir.resolve("log");
        int source = OS.open(input, OpenFlags.O_RDONLY, 0);
        int sink = OS.open(log, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_APPEND, 0644);
        StreamCopier.Copy copy = OS.streamCopier().copy("file", source, sink, SinkEnd.AT_ONCE);
        assertTrue(copy.awaitFinished(LIMIT));
        assertArrayEquals(data, Files.readAllBytes(log));
    }
}
