package jrunc.linux.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import jrunc.core.spi.ErrnoException;

/** socket(2), bind(2) and listen(2) for filesystem Unix sockets: what the JDK cannot do on a raw fd. */
public final class UnixSocket {
    private UnixSocket() {}

    private static final Native.Function SOCKET = Native.function("socket"), BIND = Native.function("bind"),
            LISTEN = Native.function("listen");

    /** socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0). */
    public static int streamSocket() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int fd = (int) SOCKET.call(state, Constants.AF_UNIX, Constants.SOCK_STREAM | Constants.SOCK_CLOEXEC, 0);
            if (fd == -1) throw Native.failure("socket", state, "AF_UNIX");
            return fd;
        }
    }

    /** bind(2) to a filesystem path given as bytes (at most {@link SockaddrUn#MAX_PATH_BYTES}). */
    public static void bind(int fd, byte[] path) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment address = SockaddrUn.of(arena, path);
            if ((int) BIND.call(state, fd, Native.ptr(address), address.byteSize()) == -1) {
                throw Native.failure("bind", state, new String(path, StandardCharsets.UTF_8));
            }
        }
    }

    public static void listen(int fd, int backlog) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            if ((int) LISTEN.call(state, fd, backlog) == -1) throw Native.failure("listen", state, "fd " + fd);
        }
    }
}
