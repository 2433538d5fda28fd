package jrunc.doctor;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One clean at a time on a node: two cleans racing could each judge a socket dead and the second remove one a
 * new shim just bound. The lock is an fcntl lock, so the kernel drops it if the holder dies.
 */
final class CleanLock implements AutoCloseable {
    private final FileChannel channel;
    private final FileLock lock;

    private CleanLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    static CleanLock acquire(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null; // held by this very process (the shell running a second clean)
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (lock == null) {
            ch.close();
            throw new LockHeldException("another shim-doctor clean is running (lock " + file + ")");
        }
        return new CleanLock(ch, lock);
    }

    @Override
    public void close() throws IOException {
        lock.release();
        channel.close();
    }

    static final class LockHeldException extends IOException {
        private static final long serialVersionUID = 1L;

        LockHeldException(String message) {
            super(message);
        }
    }
}
