package jrunc.core.stdio;

import static org.junit.jupiter.api.Assertions.*;

import java.net.URI;
import java.util.List;
import java.util.Map;
import jrunc.core.fake.FakeOperatingSystem;
import jrunc.core.spi.Spawn;
import org.junit.jupiter.api.Test;

class BinaryIOTest {
    @Test
    void queryPairsBecomeArguments() {
        assertEquals(List.of("tag", "my app", "level", ""), BinaryIO.queryArgs("tag=my%20app&level="));
        assertEquals(List.of(), BinaryIO.queryArgs(null));
    }

    @Test
    void loggerGetsOutputPipesAndReadyPipeAndIsTerminatedAtClose() throws Exception {
        FakeOperatingSystem os = new FakeOperatingSystem();
        os.reaper.script((spawn, pid) -> {
            // the logger signals readiness by closing fd 5: that happens when it "exits" its set-up; here, a byte
            java.nio.channels.WritableByteChannel ready = (java.nio.channels.WritableByteChannel) os.channel(spawn.fds().get(5));
            ready.write(java.nio.ByteBuffer.wrap(new byte[] {1}));
        });
        BinaryIO io = BinaryIO.start(os, new ProcessIO.Owner(0, 0, "c1", "default"), URI.create("binary:///usr/bin/logger?tag=x"));
        Spawn logger = os.reaper.started.getFirst();
        assertEquals(List.of("/usr/bin/logger", "tag", "x"), logger.argv());
        assertEquals("c1", logger.env().get("CONTAINER_ID"));
        assertEquals("default", logger.env().get("CONTAINER_NAMESPACE"));
        assertEquals(List.of(3, 4, 5), logger.fds().keySet().stream().sorted().toList());
        assertEquals(Map.of(1, io.runcFds().get(1), 2, io.runcFds().get(2)), io.runcFds());

        int pid = 1000;
        Thread closer = Thread.ofVirtual().start(io::close);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (os.signals.isEmpty() && System.nanoTime() < deadline) Thread.sleep(5);
        assertFalse(os.signals.isEmpty(), "no SIGTERM sent");
        assertEquals(new FakeOperatingSystem.Signal(pid, 15), os.signals.getFirst());
        os.reaper.exit(pid, 0);
        closer.join(5000);
        assertFalse(closer.isAlive());
        assertEquals(1, os.signals.size(), "no SIGKILL for a logger that exits on SIGTERM");
    }
}
