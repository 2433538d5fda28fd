package jrunc.linux.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import jrunc.core.spi.ErrnoException;

/**
 * The socket calls of the spare hand-off that {@link Terminal} does not have: the peer's credentials
 * (SO_PEERCRED), send and receive deadlines (SO_SNDTIMEO, SO_RCVTIMEO: the kernel keeps them, a blocking call
 * returns EAGAIN once one passes), a send that may carry one descriptor and reports how much it sent, and the
 * path a listener is bound to. LP64 Linux layouts: {@code struct ucred} three ints, {@code struct timeval} two longs,
 * {@code struct msghdr} 56 bytes, {@code struct cmsghdr} a 16-byte header.
 */
public final class Handoff {
    private Handoff() {}

    // <asm-generic/socket.h>
    static final int SOL_SOCKET = 1, SO_PEERCRED = 17, SO_RCVTIMEO = 20, SO_SNDTIMEO = 21, SCM_RIGHTS = 1;
    static final int MSG_NOSIGNAL = 0x4000;
    private static final long MSG_IOV = 16, MSG_IOVLEN = 24, MSG_CONTROL = 32, MSG_CONTROLLEN = 40, MSGHDR_SIZE = 56,
            CMSG_HEADER = 16;

    private static final Native.Function GETSOCKOPT = Native.function("getsockopt"),
            SETSOCKOPT = Native.function("setsockopt"), SENDMSG = Native.function("sendmsg"),
            GETSOCKNAME = Native.function("getsockname");

    /** {@code [pid, uid, gid]} of the other end of a connected Unix socket. */
    public static int[] peerCredentials(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment ucred = arena.allocate(12, 4);
            MemorySegment length = arena.allocate(JAVA_INT);
            length.set(JAVA_INT, 0, 12);
            if ((int) GETSOCKOPT.call(state, fd, SOL_SOCKET, SO_PEERCRED, Native.ptr(ucred), Native.ptr(length)) == -1) {
                throw Native.failure("getsockopt", state, "SO_PEERCRED of fd " + fd);
            }
            return new int[] {ucred.get(JAVA_INT, 0), ucred.get(JAVA_INT, 4), ucred.get(JAVA_INT, 8)};
        }
    }

    /** SO_SNDTIMEO and SO_RCVTIMEO of {@code fd}: a blocking send, connect or receive gives up after this long. */
    public static void setTimeouts(int fd, long millis) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment tv = arena.allocate(16, 8);
            long ms = Math.max(1, millis);
            tv.set(JAVA_LONG, 0, ms / 1000);
            tv.set(JAVA_LONG, 8, (ms % 1000) * 1000);
            for (int option : new int[] {SO_SNDTIMEO, SO_RCVTIMEO}) {
                if ((int) SETSOCKOPT.call(state, fd, SOL_SOCKET, option, Native.ptr(tv), 16) == -1) {
                    throw Native.failure("setsockopt", state, "timeout of fd " + fd);
                }
            }
        }
    }

    /**
     * One sendmsg(2) of {@code data[from, to)}, with {@code passFd} as SCM_RIGHTS when it is not -1, never raising
     * SIGPIPE. Returns how many bytes went (a stream socket may take fewer; the descriptor goes with the first).
     */
    public static long send(int socket, byte[] data, int from, int to, int passFd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int length = to - from;
            MemorySegment bytes = arena.allocate(Math.max(1, length));
            MemorySegment.copy(data, from, bytes, JAVA_BYTE, 0, length);
            MemorySegment iov = arena.allocate(16, 8);
            iov.set(ADDRESS, 0, bytes);
            iov.set(JAVA_LONG, 8, length);
            MemorySegment msg = arena.allocate(MSGHDR_SIZE, 8);
            msg.set(ADDRESS, MSG_IOV, iov);
            msg.set(JAVA_LONG, MSG_IOVLEN, 1L);
            if (passFd >= 0) {
                long controlSize = CMSG_HEADER + 8; // one int, aligned to 8
                MemorySegment control = arena.allocate(controlSize, 8);
                control.set(JAVA_LONG, 0, CMSG_HEADER + Integer.BYTES);
                control.set(JAVA_INT, 8, SOL_SOCKET);
                control.set(JAVA_INT, 12, SCM_RIGHTS);
                control.set(JAVA_INT, CMSG_HEADER, passFd);
                msg.set(ADDRESS, MSG_CONTROL, control);
                msg.set(JAVA_LONG, MSG_CONTROLLEN, controlSize);
            }
            while (true) {
                long n = SENDMSG.call(state, socket, Native.ptr(msg), MSG_NOSIGNAL);
                if (n >= 0) return n;
                if (Native.errno(state) != ErrnoException.EINTR) throw Native.failure("sendmsg", state, "fd " + socket);
            }
        }
    }

    /** getsockname(2) of a Unix socket bound to a path. */
    public static Path boundPath(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment address = arena.allocate(SockaddrUn.LAYOUT);
            MemorySegment length = arena.allocate(JAVA_INT);
            length.set(JAVA_INT, 0, (int) SockaddrUn.LAYOUT.byteSize());
            if ((int) GETSOCKNAME.call(state, fd, Native.ptr(address), Native.ptr(length)) == -1) {
                throw Native.failure("getsockname", state, "fd " + fd);
            }
            int n = length.get(JAVA_INT, 0);
            if (SockaddrUn.family(address) != Constants.AF_UNIX || n <= SockaddrUn.SUN_PATH_OFFSET + 1) {
                throw new ErrnoException("getsockname", ErrnoException.EINVAL, "fd " + fd + " is not bound to a path");
            }
            byte[] path = address.asSlice(SockaddrUn.SUN_PATH_OFFSET, n - SockaddrUn.SUN_PATH_OFFSET).toArray(JAVA_BYTE);
            int end = 0;
            while (end < path.length && path[end] != 0) end++;
            if (end == 0) throw new ErrnoException("getsockname", ErrnoException.EINVAL, "fd " + fd + " is abstract");
            return Path.of(new String(path, 0, end, StandardCharsets.UTF_8));
        }
    }
}
