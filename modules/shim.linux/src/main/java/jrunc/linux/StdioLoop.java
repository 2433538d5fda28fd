package jrunc.linux;

import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.StreamCopier;
import jrunc.linux.ffi.EpollEvent;
import jrunc.linux.ffi.Events;
import jrunc.linux.ffi.Libc;
import jrunc.linux.ffi.Terminal;

/**
 * The stdio loop of this process: one platform thread in epoll_wait over every stream's descriptors, all of them
 * non-blocking, started on the first copy. What containerd's shim does with a goroutine per {@code io.Copy} on Go's
 * netpoller (containerd v1.6.20 pkg/process/io.go, {@code copyPipes}; runtime/v2/runc/platform.go for the console).
 *
 * <p>Each stream reads one chunk ({@value #CHUNK} bytes) when its source is readable and writes it to its sink at
 * once. What the sink does not take (EAGAIN) is kept, and the stream stops watching its source and watches its sink
 * instead until that has taken it all: at most one chunk waits per stream, and a stalled sink stalls only its own
 * stream, whose writer then blocks on its full pipe. A paused descriptor is removed from the epoll set rather than
 * left with no events, since epoll reports a hang-up whatever was asked for. A source epoll cannot watch (a regular
 * file: EPERM) is always ready and read on every turn; a regular file as sink never answers EAGAIN.
 *
 * <p>Every descriptor of a stream is read, written, watched and closed on the loop's thread only; other threads
 * hand it work through a queue and an eventfd.
 */
final class StdioLoop implements StreamCopier {
    private static final System.Logger LOG = System.getLogger(StdioLoop.class.getName());
    static final int CHUNK = 32 * 1024;
    private static final int MAX_EVENTS = 64;
    /** How often a stream whose output is complete asks its sink whether it may close. */
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final long WAKE_TOKEN = 0;

    // guarded by StdioLoop.class
    private static StdioLoop instance;

    private final int epoll;
    private final int wake;
    private final Queue<Runnable> commands = new ConcurrentLinkedQueue<>();
    // the loop thread's alone
    private final Map<Long, Stream> streams = new HashMap<>();
    private final Set<Stream> alwaysReady = new LinkedHashSet<>();
    private final Set<Stream> lingering = new LinkedHashSet<>();
    private long nextId = 1;
    private long nextTick;
    private MemorySegment state, chunk;

    private StdioLoop() throws ErrnoException {
        epoll = Events.epollCreate(Events.EPOLL_CLOEXEC);
        wake = Events.eventfd(0, Events.EFD_CLOEXEC | Events.EFD_NONBLOCK);
        Events.epollCtl(epoll, Events.EPOLL_CTL_ADD, wake, Events.EPOLLIN, WAKE_TOKEN);
    }

    /** The process's loop, its thread started. */
    static synchronized StdioLoop process() {
        if (instance == null) {
            try {
                instance = new StdioLoop();
            } catch (ErrnoException e) {
                throw new IllegalStateException("cannot start the stdio loop: " + e.getMessage(), e);
            }
            Thread.ofPlatform().name("jrunc-stdio").daemon().stackSize(256 * 1024).start(instance::run);
        }
        return instance;
    }

    @Override
    public Copy copy(String name, int source, int sink, SinkEnd end) {
        Stream s = new Stream(name, source, sink, end);
        submit(s::open);
        return s;
    }

    private void submit(Runnable command) {
        commands.add(command);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1);
            Libc.write(wake, one);
        } catch (ErrnoException e) {
            // EAGAIN: the counter is full, so the loop is awake already
            if (e.errno() != ErrnoException.EAGAIN) LOG.log(Level.ERROR, "stdio loop wake-up: " + e.getMessage());
        }
    }

    private void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment events = arena.allocate(EpollEvent.LAYOUT, MAX_EVENTS);
            state = Libc.callState(arena);
            chunk = arena.allocate(CHUNK);
            MemorySegment counter = arena.allocate(ValueLayout.JAVA_LONG);
            while (true) {
                try {
                    turn(events, counter);
                } catch (RuntimeException | Error e) {
                    LOG.log(Level.ERROR, "stdio loop: " + e);
                }
            }
        }
    }

    private void turn(MemorySegment events, MemorySegment counter) {
        int n;
        try {
            n = Events.epollWait(epoll, events, timeoutMillis());
        } catch (ErrnoException e) {
            if (e.errno() != ErrnoException.EINTR) LOG.log(Level.ERROR, "stdio loop: " + e.getMessage());
            return;
        }
        for (int i = 0; i < n; i++) {
            long token = EpollEvent.data(events, i);
            if (token == WAKE_TOKEN) {
                drainWake(counter);
                continue;
            }
            Stream s = streams.get(token >>> 1);
            if (s == null) continue; // ended earlier in this turn
            if ((token & 1) == 0) {
                if (s.sourceWatched) guarded(s, s::sourceReady);
            } else if (s.sinkWatched) {
                guarded(s, s::sinkReady);
            }
        }
        if (!alwaysReady.isEmpty()) {
            for (Stream s : List.copyOf(alwaysReady)) {
                if (alwaysReady.contains(s)) guarded(s, s::sourceReady);
            }
        }
        if (!lingering.isEmpty() && System.nanoTime() - nextTick >= 0) {
            nextTick = System.nanoTime() + TICK_NANOS;
            for (Stream s : List.copyOf(lingering)) guarded(s, s::askToClose);
        }
        Runnable command;
        while ((command = commands.poll()) != null) {
            try {
                command.run();
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "stdio loop: " + e);
            }
        }
    }

    /** A stream that fails unexpectedly ends, alone: it must not fail again on every turn. */
    private static void guarded(Stream s, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, s.name + ": " + e);
            s.finish();
        }
    }

    private int timeoutMillis() {
        if (!alwaysReady.isEmpty() || !commands.isEmpty()) return 0;
        if (lingering.isEmpty()) return -1;
        long wait = nextTick - System.nanoTime();
        return wait <= 0 ? 0 : (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait));
    }

    private void drainWake(MemorySegment counter) {
        try {
            Libc.read(state, wake, counter);
        } catch (ErrnoException e) {
            // EAGAIN: another turn took it
        }
    }

    private void ctl(int op, int fd, int mask, long token) throws ErrnoException {
        Events.epollCtl(epoll, op, fd, mask, token);
    }

    /** One copy; its fields are the loop thread's, but for {@link #finished}. */
    private final class Stream implements Copy {
        final String name;
        final int source, sink;
        final SinkEnd end;
        final CompletableFuture<Void> finished = new CompletableFuture<>();
        long id;
        boolean sourceOpen = true, sourceWatched, sinkWatched, over;
        Arena pendingArena; // the bytes the sink has not taken yet, while there are any
        MemorySegment pending;
        long pendingOffset, pendingLength;

        Stream(String name, int source, int sink, SinkEnd end) {
            this.name = name;
            this.source = source;
            this.sink = sink;
            this.end = end;
        }

        void open() {
            id = nextId++;
            streams.put(id, this);
            try {
                Terminal.setNonBlocking(source);
                Terminal.setNonBlocking(sink);
            } catch (ErrnoException e) {
                LOG.log(Level.WARNING, name + ": " + e.getMessage());
                finish();
                return;
            }
            watchSource();
        }

        private void watchSource() {
            try {
                ctl(Events.EPOLL_CTL_ADD, source, Events.EPOLLIN, id << 1);
                sourceWatched = true;
            } catch (ErrnoException e) {
                if (e.errno() == ErrnoException.EPERM) {
                    alwaysReady.add(this); // a regular file: always readable
                } else {
                    LOG.log(Level.WARNING, name + ": " + e.getMessage());
                    finish();
                }
            }
        }

        private void unwatchSource() {
            alwaysReady.remove(this);
            if (!sourceWatched) return;
            sourceWatched = false;
            try {
                ctl(Events.EPOLL_CTL_DEL, source, 0, 0);
            } catch (ErrnoException e) {
                LOG.log(Level.DEBUG, name + ": " + e.getMessage());
            }
        }

        private void watchSink() {
            try {
                ctl(Events.EPOLL_CTL_ADD, sink, Events.EPOLLOUT, id << 1 | 1);
                sinkWatched = true;
            } catch (ErrnoException e) {
                LOG.log(Level.WARNING, name + ": " + e.getMessage());
                finish();
            }
        }

        private void unwatchSink() {
            if (!sinkWatched) return;
            sinkWatched = false;
            try {
                ctl(Events.EPOLL_CTL_DEL, sink, 0, 0);
            } catch (ErrnoException e) {
                LOG.log(Level.DEBUG, name + ": " + e.getMessage());
            }
        }

        /** One chunk from the source, straight to the sink; what it does not take waits, and the source pauses. */
        void sourceReady() {
            long n;
            try {
                n = Libc.read(state, source, chunk);
            } catch (ErrnoException e) {
                if (e.errno() == ErrnoException.EAGAIN || e.errno() == ErrnoException.EINTR) return;
                n = 0; // EIO from a hung-up pty master, or any other failure: the source has ended
            }
            if (n == 0) {
                sourceEnded();
                return;
            }
            long written = writeSome(chunk, 0, n);
            if (written < 0 || written == n) return;
            pendingArena = Arena.ofConfined();
            pending = pendingArena.allocate(CHUNK);
            MemorySegment.copy(chunk, written, pending, 0, n - written);
            pendingOffset = 0;
            pendingLength = n - written;
            unwatchSource();
            watchSink();
        }

        /** The sink takes more: the waiting bytes go first, then the source is read again (or the end comes). */
        void sinkReady() {
            long written = writeSome(pending, pendingOffset, pendingLength);
            if (written < 0) return;
            pendingOffset += written;
            pendingLength -= written;
            if (pendingLength > 0) return;
            releasePending();
            unwatchSink();
            if (sourceOpen) watchSource();
            else askToClose();
        }

        /**
         * Writes until done, or until the sink is full: a write that took less than it was given (a pipe's buffer
         * is full; the next would answer EAGAIN) or EAGAIN itself. -1 when the sink failed (EPIPE: its reader has
         * gone), which ends the copy.
         */
        private long writeSome(MemorySegment from, long offset, long length) {
            long done = 0;
            while (done < length) {
                try {
                    long asked = length - done;
                    long n = Libc.write(state, sink, from.asSlice(offset + done, asked));
                    done += n;
                    if (n < asked) break;
                } catch (ErrnoException e) {
                    if (e.errno() == ErrnoException.EINTR) continue;
                    if (e.errno() == ErrnoException.EAGAIN) break;
                    LOG.log(Level.DEBUG, name + ": " + e.getMessage());
                    finish();
                    return -1;
                }
            }
            return done;
        }

        private void sourceEnded() {
            unwatchSource();
            sourceOpen = false;
            closeFd(source);
            if (pendingLength == 0) askToClose();
        }

        /** Everything is written: the sink closes when its end allows, asked again on every tick until then. */
        void askToClose() {
            boolean may;
            try {
                may = end.mayClose();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, name + ": " + e);
                may = true;
            }
            if (may) finish();
            else if (lingering.add(this) && lingering.size() == 1) nextTick = System.nanoTime() + TICK_NANOS;
        }

        void finish() {
            if (over) return;
            over = true;
            unwatchSource();
            unwatchSink();
            lingering.remove(this);
            streams.remove(id);
            if (sourceOpen) closeFd(source);
            sourceOpen = false;
            closeFd(sink);
            releasePending();
            try {
                end.closed();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, name + ": " + e);
            }
            finished.complete(null);
        }

        private void releasePending() {
            if (pendingArena == null) return;
            pendingArena.close();
            pendingArena = null;
            pending = null;
            pendingOffset = pendingLength = 0;
        }

        @Override
        public void cancel() {
            if (!finished.isDone()) submit(this::finish);
        }

        @Override
        public boolean awaitFinished(Duration limit) {
            try {
                finished.get(limit.toNanos(), TimeUnit.NANOSECONDS);
                return true;
            } catch (TimeoutException | ExecutionException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    private static void closeFd(int fd) {
        try {
            Libc.close(fd);
        } catch (ErrnoException e) {
            LOG.log(Level.DEBUG, "close " + fd + ": " + e.getMessage());
        }
    }
}
