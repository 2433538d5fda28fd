package jrunc.core.spi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;

/**
 * {@link OperatingSystem#lstat} and {@link OperatingSystem#readRegularFile} for the fakes of unit tests, on the
 * JDK's own file API: the same answers the kernel gives, without the native races they guard against.
 */
public final class JavaFiles {
    private JavaFiles() {}

    public static FileStat lstat(Path path) throws IOException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(path, "unix:mode,uid,gid,size,dev,ino,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new ErrnoException("statx", ErrnoException.ENOENT, path.toString());
        }
        return new FileStat((Integer) a.get("mode"), (Integer) a.get("uid"), (Integer) a.get("gid"), (Long) a.get("size"),
                (Long) a.get("dev"), (Long) a.get("ino"), 0, ((FileTime) a.get("lastModifiedTime")).toInstant());
    }

    public static byte[] readRegularFile(Path path, int maxBytes) throws IOException {
        FileStat st = lstat(path);
        if (!st.isRegular()) throw UnsafeFileException.notRegular(path, st.type());
        if (st.size() > maxBytes) throw UnsafeFileException.tooLarge(path, st.size(), maxBytes);
        try (var in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
            byte[] bytes = in.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) throw UnsafeFileException.tooLarge(path, -1, maxBytes);
            return bytes;
        }
    }
}
