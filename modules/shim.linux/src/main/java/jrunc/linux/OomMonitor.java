package jrunc.linux;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import jrunc.core.spi.ErrnoException;
import jrunc.linux.ffi.EpollEvent;
import jrunc.linux.ffi.Events;
import jrunc.linux.ffi.Libc;

/**
 * The OOM watcher of this process: one platform thread in epoll_wait over every watched cgroup, started on the
 * first watch. Mirrors containerd v1.6.20 {@code runtime/v2/runc/task/ep_v1.go} (one epoll for all v1 eventfds)
 * and {@code oom_v2.go} with containerd/cgroups' inotify watch on {@code memory.events}.
 *
 * <ul>
 *   <li>cgroup v1: an eventfd registered through {@code cgroup.event_control} against {@code memory.oom_control};
 *       the kernel adds to it on every OOM in the cgroup, and once more when the cgroup is removed, which ends the
 *       watch (containerd checks for {@code Deleted} the same way).</li>
 *   <li>cgroup v2: one inotify instance, a watch per {@code memory.events}; on each change the file is read again
 *       and a rise of {@code oom_kill} is an OOM. The kernel drops the watch (IN_IGNORED) when the cgroup goes.</li>
 * </ul>
 * A watch's callback runs on the watcher thread, outside any lock of ours.
 */
final class OomMonitor {
    private static final System.Logger LOG = System.getLogger(OomMonitor.class.getName());
    private static final long INOTIFY_TOKEN = 0;
    private static final int MAX_EVENTS = 16, INOTIFY_BUFFER = 4096;

    // guarded by OomMonitor.class
    private static OomMonitor instance;

    private final int epoll;
    private final int inotify;
    private final Object lock = new Object();
    private final Map<Long, EventfdWatch> eventfds = new HashMap<>(); // guarded by lock
    private final Map<Integer, CounterWatch> counters = new HashMap<>(); // guarded by lock, by watch descriptor
    private long nextToken = INOTIFY_TOKEN + 1; // guarded by lock

    private record EventfdWatch(int fd, Path cgroup, Runnable onOom) {}

    private static final class CounterWatch {
        final Path file;
        final String key;
        final Runnable onIncrease;
        long last; // guarded by OomMonitor.lock

        CounterWatch(Path file, String key, Runnable onIncrease, long last) {
            this.file = file;
            this.key = key;
            this.onIncrease = onIncrease;
            this.last = last;
        }
    }

    private OomMonitor() throws IOException {
        epoll = Events.epollCreate(Events.EPOLL_CLOEXEC);
        inotify = Events.inotifyInit(Events.IN_CLOEXEC | Events.IN_NONBLOCK);
        Events.epollCtl(epoll, Events.EPOLL_CTL_ADD, inotify, Events.EPOLLIN, INOTIFY_TOKEN);
    }

    /** The process's watcher, its thread started. */
    static synchronized OomMonitor process() throws IOException {
        if (instance == null) {
            OomMonitor monitor = new OomMonitor();
            Thread.ofPlatform().name("jrunc-oom").daemon().stackSize(256 * 1024).start(monitor::run);
            instance = monitor;
        }
        return instance;
    }

    /** cgroup v1: notifications of OOM in the memory cgroup {@code dir}. */
    AutoCloseable watchV1(Path dir, Runnable onOom) throws IOException {
        Path control = dir.resolve("memory.oom_control");
        if (!Files.exists(control)) throw new NoSuchFileException(control.toString(), null, "no v1 memory cgroup");
        int efd = Events.eventfd(0, Events.EFD_CLOEXEC);
        try {
            int ocfd = Libc.open(control.toString(), jrunc.linux.ffi.Constants.O_CLOEXEC, 0);
            try {
                // "<eventfd> <fd of memory.oom_control>": the kernel keeps its own reference to the file
                Files.writeString(dir.resolve("cgroup.event_control"), efd + " " + ocfd);
            } finally {
                Libc.close(ocfd);
            }
            synchronized (lock) {
                long token = nextToken++;
                Events.epollCtl(epoll, Events.EPOLL_CTL_ADD, efd, Events.EPOLLIN, token);
                eventfds.put(token, new EventfdWatch(efd, dir, onOom));
                return () -> removeEventfd(token);
            }
        } catch (IOException | RuntimeException e) {
            Libc.close(efd);
            throw e;
        }
    }

    /** cgroup v2 (or any flat-keyed file): {@code onIncrease} each time {@code key}'s value in {@code file} rises. */
    AutoCloseable watchCounter(Path file, String key, Runnable onIncrease) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString());
        synchronized (lock) {
            int wd = Events.inotifyAddWatch(inotify, file.toString(), Events.IN_MODIFY);
            counters.put(wd, new CounterWatch(file, key, onIncrease, valueOf(file, key)));
            return () -> removeCounter(wd);
        }
    }

    private void removeEventfd(long token) {
        synchronized (lock) {
            EventfdWatch w = eventfds.remove(token);
            if (w == null) return;
            try {
                Events.epollCtl(epoll, Events.EPOLL_CTL_DEL, w.fd(), 0, 0);
            } catch (ErrnoException e) {
                LOG.log(Level.DEBUG, "epoll_ctl DEL of the OOM eventfd of " + w.cgroup() + ": " + e.getMessage());
            }
            closeQuietly(w.fd());
        }
    }

    private void removeCounter(int wd) {
        synchronized (lock) {
            if (counters.remove(wd) == null) return;
            try {
                Events.inotifyRmWatch(inotify, wd);
            } catch (ErrnoException e) {
                LOG.log(Level.DEBUG, "inotify_rm_watch " + wd + ": " + e.getMessage());
            }
        }
    }

    private void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(EpollEvent.LAYOUT, MAX_EVENTS);
            MemorySegment counter = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment buffer = arena.allocate(INOTIFY_BUFFER);
            while (true) {
                int n;
                try {
                    n = Events.epollWait(epoll, events, -1);
                } catch (ErrnoException e) {
                    if (e.errno() != ErrnoException.EINTR) LOG.log(Level.ERROR, "OOM watcher: " + e.getMessage());
                    continue;
                }
                for (int i = 0; i < n; i++) {
                    long token = EpollEvent.data(events, i);
                    try {
                        if (token == INOTIFY_TOKEN) drainInotify(buffer);
                        else eventfdReady(token, counter);
                    } catch (IOException | RuntimeException e) {
                        LOG.log(Level.WARNING, "OOM watcher: " + e);
                    }
                }
            }
        }
    }

    private void eventfdReady(long token, MemorySegment counter) throws IOException {
        EventfdWatch w;
        synchronized (lock) {
            w = eventfds.get(token);
            if (w == null) return; // closed meanwhile
            Libc.read(w.fd(), counter); // readable: does not block
        }
        if (!Files.isDirectory(w.cgroup())) {
            removeEventfd(token); // the cgroup was removed: that is what this notification was
            return;
        }
        w.onOom().run();
    }

    private void drainInotify(MemorySegment buffer) throws IOException {
        while (true) {
            long n;
            try {
                n = Libc.read(inotify, buffer);
            } catch (ErrnoException e) {
                if (e.errno() == ErrnoException.EAGAIN) return;
                throw e;
            }
            for (long off = 0; off + Events.INOTIFY_EVENT_HEADER <= n; ) {
                int wd = buffer.get(ValueLayout.JAVA_INT, off);
                int mask = buffer.get(ValueLayout.JAVA_INT, off + 4);
                int len = buffer.get(ValueLayout.JAVA_INT, off + 12);
                off += Events.INOTIFY_EVENT_HEADER + len;
                counterChanged(wd, mask);
            }
        }
    }

    private void counterChanged(int wd, int mask) {
        Runnable fire = null;
        synchronized (lock) {
            CounterWatch w = counters.get(wd);
            if (w == null) return;
            if ((mask & Events.IN_IGNORED) != 0) {
                counters.remove(wd); // the kernel dropped the watch: the file (its cgroup) is gone
                return;
            }
            long now = valueOf(w.file, w.key);
            if (now > w.last) fire = w.onIncrease;
            if (now >= 0) w.last = Math.max(w.last, now);
        }
        if (fire != null) fire.run();
    }

    /** The value of {@code key} in a flat-keyed file ("key value" lines), or -1 when it cannot be read. */
    private static long valueOf(Path file, String key) {
        try {
            Long value = CgroupFiles.flatKeyed(file).get(key);
            return value == null ? 0 : value;
        } catch (IOException e) {
            return -1;
        }
    }

    private static void closeQuietly(int fd) {
        try {
            Libc.close(fd);
        } catch (ErrnoException e) {
            LOG.log(Level.DEBUG, "close " + fd + ": " + e.getMessage());
        }
    }
}
