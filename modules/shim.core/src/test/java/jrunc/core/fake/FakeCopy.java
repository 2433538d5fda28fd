package jrunc.core.fake;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jrunc.core.spi.StreamCopier;

/** One copy of the {@link FakeOperatingSystem}'s copier: a thread, blocking reads and writes, then the sink's end. */
final class FakeCopy implements StreamCopier.Copy {
    private final FakeOperatingSystem os;
    private final int source, sink;
    private final StreamCopier.SinkEnd end;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean cancelled;

    FakeCopy(FakeOperatingSystem os, String name, int source, int sink, StreamCopier.SinkEnd end) {
        this.os = os;
        this.source = source;
        this.sink = sink;
        this.end = end;
        this.thread = Thread.ofPlatform().daemon().name("fake-copy-" + name).start(this::run);
    }

    private void run() {
        try {
            ReadableByteChannel in = (ReadableByteChannel) os.channel(source);
            WritableByteChannel out = (WritableByteChannel) os.channel(sink);
            ByteBuffer buffer = ByteBuffer.allocate(32 * 1024);
            while (!cancelled && in.read(buffer) >= 0) {
                buffer.flip();
                while (buffer.hasRemaining()) out.write(buffer);
                buffer.clear();
            }
            while (!cancelled && !end.mayClose()) Thread.sleep(5);
        } catch (IOException | RuntimeException | InterruptedException e) {
            // the sink failed, or cancel() cut us off: the copy is over either way
        } finally {
            os.close(source);
            os.close(sink);
            end.closed();
            finished.countDown();
        }
    }

    @Override
    public void cancel() {
        cancelled = true;
        thread.interrupt();
    }

    @Override
    public boolean awaitFinished(Duration limit) {
        try {
            return finished.await(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
