package jrunc.linux;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import jrunc.core.spi.FileStat;
import jrunc.core.spi.OperatingSystem.OpenFlags;
import jrunc.core.spi.UnsafeFileException;
import jrunc.linux.ffi.Arch;
import jrunc.linux.ffi.Constants;
import jrunc.linux.ffi.Libc;

/**
 * Reads a file a hostile node may have planted, without blocking or exhausting the reader: lstat first (a FIFO,
 * device or socket is never opened: opening a FIFO blocks, opening a device can act on it), then
 * open(O_RDONLY|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC), then fstat to prove the descriptor is the very file checked
 * (same device and inode, still regular), then at most {@code limit + 1} bytes.
 */
final class RegularFileReader {
    private static final int CHUNK = 64 * 1024;

    private RegularFileReader() {}

    static byte[] read(Path path, int limit) throws IOException {
        if (limit < 0) throw new IllegalArgumentException("limit : " + limit + " (expected: >= 0)");
        String name = path.toString();
        FileStat before = Libc.lstat(name);
        if (!before.isRegular()) throw UnsafeFileException.notRegular(path, before.type());
        if (before.size() > limit) throw UnsafeFileException.tooLarge(path, before.size(), limit);
        int fd = Libc.open(name, OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK | Constants.O_CLOEXEC
                | Arch.current().openNoFollow(), 0);
        try {
            FileStat opened = Libc.fstat(fd);
            if (!opened.isRegular() || !opened.sameFile(before)) throw UnsafeFileException.changed(path);
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(opened.size(), limit) + 1);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(Math.min(CHUNK, limit + 1L));
                while (true) {
                    long n = Libc.read(fd, buffer);
                    if (n == 0) break;
                    out.write(buffer.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                    // The file grew after the check (or reports a size of 0, as /proc files do): stop at the limit.
                    if (out.size() > limit) throw UnsafeFileException.tooLarge(path, -1, limit);
                }
            }
            return out.toByteArray();
        } finally {
            try {
                Libc.close(fd);
            } catch (IOException ignored) {
                // a read-only descriptor: nothing is lost
            }
        }
    }
}
