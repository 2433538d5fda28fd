package jrunc.linux.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import jrunc.core.spi.ErrnoException;

/** socket(2), bind(2) and listen(2) for filesystem Unix sockets: what the JDK cannot do on a raw fd. */
public final class UnixSocket {
    private UnixSocket() {}

    private static final class Socket {
        static final MethodHandle MH = Native.errnoDowncall("socket",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    }

    /**
     * bind(2) and listen(2) are linked together, on the first bind: linking a downcall takes milliseconds, and
     * between bind and listen a concurrent start of the same group that dials the path is refused, takes the
     * socket for a stale one and replaces it (a second daemon for the group).
     */
    private static final class BindListen {
        // int bind(int fd, const struct sockaddr *addr, socklen_t len)
        static final MethodHandle BIND = Native.errnoDowncall("bind",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
        // int listen(int fd, int backlog)
        static final MethodHandle LISTEN = Native.errnoDowncall("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    /** socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0). */
    public static int streamSocket() throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int fd;
            try {
                fd = (int) Socket.MH.invokeExact(state, Constants.AF_UNIX,
                        Constants.SOCK_STREAM | Constants.SOCK_CLOEXEC, 0);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (fd == -1) throw Native.failure("socket", state, "AF_UNIX");
            return fd;
        }
    }

    /** bind(2) to a filesystem path given as bytes (at most {@link SockaddrUn#MAX_PATH_BYTES}). */
    public static void bind(int fd, byte[] path) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment address = SockaddrUn.of(arena, path);
            int r;
            try {
                r = (int) BindListen.BIND.invokeExact(state, fd, address, (int) address.byteSize());
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("bind", state, new String(path, StandardCharsets.UTF_8));
        }
    }

    public static void listen(int fd, int backlog) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r;
            try {
                r = (int) BindListen.LISTEN.invokeExact(state, fd, backlog);
            } catch (Throwable t) {
                throw Native.unexpected(t);
            }
            if (r == -1) throw Native.failure("listen", state, "fd " + fd);
        }
    }
}
