package jrunc.linux;

import static jrunc.linux.Children.OS;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** flock(LOCK_EX) on a directory, as start and delete take it on the socket directory: one holder at a time. */
class LockTest {
    @TempDir Path dir;

    @Test
    void aSecondLockerOfTheDirectoryWaitsUntilTheFirstLetsGo() throws Exception {
        CountDownLatch second = new CountDownLatch(1);
        Thread waiter;
        try (AutoCloseable first = OS.lockExclusive(dir)) {
            waiter = Thread.ofPlatform().start(() -> {
                try (AutoCloseable lock = OS.lockExclusive(dir)) {
                    second.countDown();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertFalse(second.await(300, TimeUnit.MILLISECONDS), "the second lock was granted while the first is held");
        }
        assertTrue(second.await(10, TimeUnit.SECONDS), "the second lock was not granted once the first was released");
        waiter.join();
    }
}
