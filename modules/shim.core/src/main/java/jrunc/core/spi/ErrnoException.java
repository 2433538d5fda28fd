package jrunc.core.spi;

import java.io.IOException;

/** A system call failed; {@link #errno()} is the kernel's error number. */
public class ErrnoException extends IOException {
    public static final int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, EAGAIN = 11,
            EACCES = 13, EBUSY = 16, EEXIST = 17, ENOTDIR = 20, EINVAL = 22, EPIPE = 32, ECHILD = 10,
            EADDRINUSE = 98, ECONNREFUSED = 111;
    private static final long serialVersionUID = 1L;
    private final int errno;

    public ErrnoException(String call, int errno, String detail) {
        super(call + ": " + (detail == null ? "" : detail + ": ") + "errno " + errno);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
