package jrunc.linux.ffi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import jrunc.core.spi.ErrnoException;

/**
 * The calls behind terminals: accepting runc's console-socket connection, receiving (and, for tests, sending) the
 * pty master as SCM_RIGHTS, and the window-size ioctls. Layouts are LP64 Linux (x86_64 and aarch64 agree):
 * {@code struct msghdr} is 56 bytes, {@code struct cmsghdr} a 16-byte header, {@code struct winsize} four shorts.
 */
public final class Terminal {
    private Terminal() {}

    /** A message received over a Unix socket: its data bytes and the descriptors that came with it. */
    public record Received(byte[] data, int[] fds, boolean truncated) {}

    /** The window size of a terminal, in characters (rows, columns) and pixels. */
    public record WinSize(int rows, int cols, int xPixels, int yPixels) {}

    // <asm-generic/ioctls.h>
    public static final long TIOCGWINSZ = 0x5413;
    public static final long TIOCSWINSZ = 0x5414;
    public static final long FIONREAD = 0x541B;
    // <bits/socket.h>
    static final int SOL_SOCKET = 1, SCM_RIGHTS = 1;
    static final int MSG_CTRUNC = 0x8, MSG_CMSG_CLOEXEC = 0x40000000;
    // <bits/poll.h>, <bits/fcntl-linux.h>
    static final short POLLIN = 0x1;
    static final int F_DUPFD_CLOEXEC = 1030, F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 04000;

    // struct msghdr: name, namelen(+pad), iov, iovlen, control, controllen, flags(+pad)
    private static final long MSG_NAME = 0, MSG_NAMELEN = 8, MSG_IOV = 16, MSG_IOVLEN = 24, MSG_CONTROL = 32,
            MSG_CONTROLLEN = 40, MSG_FLAGS = 48, MSGHDR_SIZE = 56;
    // struct cmsghdr: len (size_t), level, type, then data aligned to 8
    private static final long CMSG_HEADER = 16;
    /** Room for the control data of up to 16 fds, so a sender that sends more is seen (and refused), not cut. */
    private static final int MAX_FDS = 16;

    private static final Native.Function POLL = Native.function("poll"), ACCEPT4 = Native.function("accept4"),
            CONNECT = Native.function("connect"), RECVMSG = Native.function("recvmsg"),
            SENDMSG = Native.function("sendmsg"), IOCTL = Native.function("ioctl"), FCNTL = Native.function("fcntl");

    /**
     * poll(2) for readability of one fd (a listening socket: a connection is waiting). Returns false when
     * {@code timeoutMillis} passed first. EINTR is retried with the same timeout (rare; the caller keeps the deadline).
     */
    public static boolean awaitReadable(int fd, int timeoutMillis) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment pollfd = arena.allocate(8, 4);
            pollfd.set(JAVA_INT, 0, fd);
            pollfd.set(JAVA_SHORT, 4, POLLIN);
            while (true) {
                int r = (int) POLL.call(state, Native.ptr(pollfd), 1, timeoutMillis);
                if (r >= 0) return r > 0;
                if (Native.errno(state) != ErrnoException.EINTR) throw Native.failure("poll", state, "fd " + fd);
            }
        }
    }

    /** accept4(fd, NULL, NULL, SOCK_CLOEXEC). */
    public static int accept(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r = (int) ACCEPT4.call(state, fd, 0, 0, Constants.SOCK_CLOEXEC);
            if (r == -1) throw Native.failure("accept4", state, "fd " + fd);
            return r;
        }
    }

    /** connect(2) to a filesystem Unix socket. */
    public static void connect(int fd, byte[] path) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment address = SockaddrUn.of(arena, path);
            int r = (int) CONNECT.call(state, fd, Native.ptr(address), address.byteSize());
            if (r == -1) throw Native.failure("connect", state, new String(path, StandardCharsets.UTF_8));
        }
    }

    /**
     * recvmsg(2) of one message of up to {@code maxData} bytes with its SCM_RIGHTS descriptors, which arrive
     * close-on-exec (MSG_CMSG_CLOEXEC). The caller owns every fd returned, even when it refuses the message.
     */
    public static Received receiveFds(int fd, int maxData) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment data = arena.allocate(maxData);
            MemorySegment iov = iovec(arena, data);
            long controlSize = CMSG_HEADER + align8((long) MAX_FDS * Integer.BYTES);
            MemorySegment control = arena.allocate(controlSize, 8);
            MemorySegment msg = arena.allocate(MSGHDR_SIZE, 8);
            msg.set(ADDRESS, MSG_IOV, iov);
            msg.set(JAVA_LONG, MSG_IOVLEN, 1L);
            msg.set(ADDRESS, MSG_CONTROL, control);
            msg.set(JAVA_LONG, MSG_CONTROLLEN, controlSize);
            long n;
            while (true) {
                n = RECVMSG.call(state, fd, Native.ptr(msg), MSG_CMSG_CLOEXEC);
                if (n != -1 || Native.errno(state) != ErrnoException.EINTR) break;
            }
            if (n == -1) throw Native.failure("recvmsg", state, "fd " + fd);
            int flags = msg.get(JAVA_INT, MSG_FLAGS);
            byte[] bytes = data.asSlice(0, n).toArray(JAVA_BYTE);
            return new Received(bytes, fdsIn(control, msg.get(JAVA_LONG, MSG_CONTROLLEN)), (flags & MSG_CTRUNC) != 0);
        }
    }

    /** Walks the control messages (CMSG_FIRSTHDR/CMSG_NXTHDR) and collects every SCM_RIGHTS descriptor. */
    private static int[] fdsIn(MemorySegment control, long length) {
        java.util.List<Integer> fds = new java.util.ArrayList<>();
        long offset = 0;
        while (offset + CMSG_HEADER <= length) {
            long cmsgLen = control.get(JAVA_LONG, offset);
            if (cmsgLen < CMSG_HEADER || offset + cmsgLen > length) break;
            int level = control.get(JAVA_INT, offset + 8);
            int type = control.get(JAVA_INT, offset + 12);
            if (level == SOL_SOCKET && type == SCM_RIGHTS) {
                long count = (cmsgLen - CMSG_HEADER) / Integer.BYTES;
                for (long i = 0; i < count; i++) fds.add(control.get(JAVA_INT, offset + CMSG_HEADER + i * Integer.BYTES));
            }
            offset += align8(cmsgLen);
        }
        return fds.stream().mapToInt(Integer::intValue).toArray();
    }

    /** sendmsg(2) of {@code data} with SCM_RIGHTS descriptors: what runc does with the pty master (one fd). */
    public static void sendFds(int socket, byte[] data, int... fdsToSend) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment bytes = arena.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, bytes, JAVA_BYTE, 0, data.length);
            MemorySegment iov = iovec(arena, bytes.asSlice(0, data.length));
            long dataLength = (long) fdsToSend.length * Integer.BYTES;
            long controlSize = CMSG_HEADER + align8(dataLength);
            MemorySegment control = arena.allocate(controlSize, 8);
            control.set(JAVA_LONG, 0, CMSG_HEADER + dataLength); // CMSG_LEN
            control.set(JAVA_INT, 8, SOL_SOCKET);
            control.set(JAVA_INT, 12, SCM_RIGHTS);
            for (int i = 0; i < fdsToSend.length; i++) control.set(JAVA_INT, CMSG_HEADER + (long) i * Integer.BYTES, fdsToSend[i]);
            MemorySegment msg = arena.allocate(MSGHDR_SIZE, 8);
            msg.set(ADDRESS, MSG_IOV, iov);
            msg.set(JAVA_LONG, MSG_IOVLEN, 1L);
            msg.set(ADDRESS, MSG_CONTROL, control);
            msg.set(JAVA_LONG, MSG_CONTROLLEN, controlSize);
            long n = SENDMSG.call(state, socket, Native.ptr(msg), 0);
            if (n == -1) throw Native.failure("sendmsg", state, "fd " + socket);
        }
    }

    private static MemorySegment iovec(Arena arena, MemorySegment buffer) {
        MemorySegment iov = arena.allocate(16, 8);
        iov.set(ADDRESS, 0, buffer);
        iov.set(JAVA_LONG, 8, buffer.byteSize());
        return iov;
    }

    private static long align8(long n) {
        return (n + 7) & ~7L;
    }

    /** ioctl(fd, TIOCSWINSZ): the kernel sends SIGWINCH to the terminal's foreground process group. */
    public static void setWinSize(int fd, WinSize size) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = arena.allocate(8, 2);
            ws.set(JAVA_SHORT, 0, (short) size.rows());
            ws.set(JAVA_SHORT, 2, (short) size.cols());
            ws.set(JAVA_SHORT, 4, (short) size.xPixels());
            ws.set(JAVA_SHORT, 6, (short) size.yPixels());
            ioctl(fd, TIOCSWINSZ, ws, arena, "TIOCSWINSZ");
        }
    }

    /** ioctl(fd, TIOCGWINSZ). */
    public static WinSize winSize(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = arena.allocate(8, 2);
            ioctl(fd, TIOCGWINSZ, ws, arena, "TIOCGWINSZ");
            return new WinSize(Short.toUnsignedInt(ws.get(JAVA_SHORT, 0)), Short.toUnsignedInt(ws.get(JAVA_SHORT, 2)),
                    Short.toUnsignedInt(ws.get(JAVA_SHORT, 4)), Short.toUnsignedInt(ws.get(JAVA_SHORT, 6)));
        }
    }

    /** ioctl(fd, FIONREAD): the bytes waiting to be read in a pipe or FIFO (either end) or a terminal. */
    public static int unreadBytes(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment n = arena.allocate(JAVA_INT);
            ioctl(fd, FIONREAD, n, arena, "FIONREAD");
            return n.get(JAVA_INT, 0);
        }
    }

    private static void ioctl(int fd, long request, MemorySegment arg, Arena arena, String name) throws ErrnoException {
        MemorySegment state = Native.callState(arena);
        int r = (int) IOCTL.call(state, fd, request, Native.ptr(arg));
        if (r == -1) throw Native.failure("ioctl", state, name + " on fd " + fd);
    }

    /** fcntl(fd, F_DUPFD_CLOEXEC, 0): a copy that a spawned child does not inherit. */
    public static int dupCloexec(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r = (int) FCNTL.call(state, fd, F_DUPFD_CLOEXEC, 0);
            if (r == -1) throw Native.failure("fcntl", state, "F_DUPFD_CLOEXEC of fd " + fd);
            return r;
        }
    }

    /**
     * fcntl(F_GETFL) then F_SETFL with O_NONBLOCK added: reads and writes on {@code fd} answer EAGAIN instead of
     * waiting. The flag belongs to the open file, so every dup of {@code fd} shares it.
     */
    public static void setNonBlocking(int fd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int flags = (int) FCNTL.call(state, fd, F_GETFL);
            if (flags == -1) throw Native.failure("fcntl", state, "F_GETFL of fd " + fd);
            if ((flags & O_NONBLOCK) != 0) return;
            if ((int) FCNTL.call(state, fd, F_SETFL, flags | O_NONBLOCK) == -1) {
                throw Native.failure("fcntl", state, "F_SETFL O_NONBLOCK of fd " + fd);
            }
        }
    }
}
