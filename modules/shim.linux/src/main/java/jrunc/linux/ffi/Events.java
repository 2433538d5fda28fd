package jrunc.linux.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jrunc.core.spi.ErrnoException;

/**
 * The kernel's event sources jrunc waits on, and file locks: eventfd(2) (a v1 memory cgroup's OOM notifications),
 * inotify(7) (a cgroup v2 events file), epoll(7) (one thread waiting on all of them: the OOM watcher, the stdio
 * loop), flock(2). Each wrapper checks
 * the return value and turns -1 into an {@link ErrnoException} carrying the errno captured with the call.
 */
public final class Events {
    // <sys/eventfd.h>, <sys/epoll.h>, <sys/inotify.h>: the CLOEXEC flags are O_CLOEXEC
    public static final int EFD_CLOEXEC = Constants.O_CLOEXEC, EFD_NONBLOCK = 04000, EPOLL_CLOEXEC = Constants.O_CLOEXEC,
            IN_CLOEXEC = Constants.O_CLOEXEC, IN_NONBLOCK = 04000;
    public static final int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2;
    public static final int EPOLLIN = 0x001, EPOLLOUT = 0x004, EPOLLERR = 0x008, EPOLLHUP = 0x010;
    public static final int IN_MODIFY = 0x002, IN_IGNORED = 0x8000;
    // <sys/file.h>
    public static final int LOCK_EX = 2, LOCK_UN = 8;
    /** {@code struct inotify_event}: int wd; uint32_t mask, cookie, len; then {@code len} bytes of name. */
    public static final int INOTIFY_EVENT_HEADER = 16;

    private Events() {}

    private static final Native.Function EVENTFD = Native.function("eventfd"),
            EPOLL_CREATE1 = Native.function("epoll_create1"), EPOLL_CTL = Native.function("epoll_ctl"),
            EPOLL_WAIT = Native.function("epoll_wait"), INOTIFY_INIT1 = Native.function("inotify_init1"),
            INOTIFY_ADD_WATCH = Native.function("inotify_add_watch"),
            INOTIFY_RM_WATCH = Native.function("inotify_rm_watch"), FLOCK = Native.function("flock");

    /** eventfd(2): a counter the kernel (here: a cgroup's OOM notifier) adds to; read 8 bytes to take it. */
    public static int eventfd(int initial, int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r = (int) EVENTFD.call(state, initial, flags);
            if (r == -1) throw Native.failure("eventfd", state, null);
            return r;
        }
    }

    /** epoll_create1(2). */
    public static int epollCreate(int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r = (int) EPOLL_CREATE1.call(state, flags);
            if (r == -1) throw Native.failure("epoll_create1", state, null);
            return r;
        }
    }

    /** epoll_ctl(2) with one event whose data is {@code data}; for EPOLL_CTL_DEL the event is ignored. */
    public static void epollCtl(int epfd, int op, int fd, int mask, long data) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            MemorySegment event = arena.allocate(EpollEvent.LAYOUT);
            EpollEvent.set(event, 0, mask, data);
            int r = (int) EPOLL_CTL.call(state, epfd, op, fd, Native.ptr(event));
            if (r == -1) throw Native.failure("epoll_ctl", state, "op " + op + " fd " + fd);
        }
    }

    /**
     * epoll_wait(2) into {@code events} (an array of {@link EpollEvent#LAYOUT}); -1 timeout waits for ever. Returns
     * how many entries were filled. Blocks the calling (platform) thread.
     */
    public static int epollWait(int epfd, MemorySegment events, int timeoutMillis) throws ErrnoException {
        int max = (int) (events.byteSize() / EpollEvent.LAYOUT.byteSize());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r = (int) EPOLL_WAIT.call(state, epfd, Native.ptr(events), max, timeoutMillis);
            if (r == -1) throw Native.failure("epoll_wait", state, "epfd " + epfd);
            return r;
        }
    }

    /** inotify_init1(2). */
    public static int inotifyInit(int flags) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r = (int) INOTIFY_INIT1.call(state, flags);
            if (r == -1) throw Native.failure("inotify_init1", state, null);
            return r;
        }
    }

    /** inotify_add_watch(2): the watch descriptor. */
    public static int inotifyAddWatch(int fd, String path, int mask) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r = (int) INOTIFY_ADD_WATCH.call(state, fd, Native.cString(arena, path), mask);
            if (r == -1) throw Native.failure("inotify_add_watch", state, path);
            return r;
        }
    }

    /** inotify_rm_watch(2); EINVAL means the kernel dropped the watch already (its file went away). */
    public static void inotifyRmWatch(int fd, int wd) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r = (int) INOTIFY_RM_WATCH.call(state, fd, wd);
            if (r == -1) throw Native.failure("inotify_rm_watch", state, "wd " + wd);
        }
    }

    /** flock(2); LOCK_EX waits until the lock is granted. EINTR surfaces like any errno (the caller retries). */
    public static void flock(int fd, int operation) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Native.callState(arena);
            int r = (int) FLOCK.call(state, fd, operation);
            if (r == -1) throw Native.failure("flock", state, "fd " + fd + " operation " + operation);
        }
    }
}
