package jrunc.core.spi;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that {@link OperatingSystem#readRegularFile} refused to read: not a regular file (a link, a FIFO, a device,
 * a socket, a directory) or bigger than the caller allows. Nothing was read and nothing blocked: FIFOs and devices
 * are never opened, a link is never followed.
 */
public final class UnsafeFileException extends IOException {
    private static final long serialVersionUID = 1L;
    private final Path path;
    private final transient FileStat.Type type;
    private final long size;
    private final long limit;

    private UnsafeFileException(Path path, String message, FileStat.Type type, long size, long limit) {
        super(path + ": " + message);
        this.path = path;
        this.type = type;
        this.size = size;
        this.limit = limit;
    }

    /** {@code path} is a {@code type}, not a regular file. */
    public static UnsafeFileException notRegular(Path path, FileStat.Type type) {
        return new UnsafeFileException(path, "is a " + type.description() + ", not a regular file: not read", type, -1, -1);
    }

    /** {@code path} holds more than {@code limit} bytes. */
    public static UnsafeFileException tooLarge(Path path, long size, long limit) {
        return new UnsafeFileException(path, "holds " + (size < 0 ? "more than " + limit : Long.toString(size))
                + " bytes, more than the " + limit + " allowed: not read", FileStat.Type.REGULAR, size, limit);
    }

    /** The file was swapped for another between the type check and the open. */
    public static UnsafeFileException changed(Path path) {
        return new UnsafeFileException(path, "changed while it was being opened: not read", FileStat.Type.UNKNOWN, -1, -1);
    }

    public Path path() {
        return path;
    }

    /** What the file is ({@link FileStat.Type#REGULAR} when it was only too large). */
    public FileStat.Type type() {
        return type;
    }

    public boolean tooLarge() {
        return limit >= 0;
    }

    public long limit() {
        return limit;
    }

    public long size() {
        return size;
    }
}
