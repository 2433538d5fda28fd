package jrunc.core.task;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import jrunc.core.spi.Exit;
import jrunc.core.spi.Reaper;

/**
 * Matches reaped exits to container processes and hands them, in reaping order, to one handler thread. Mirrors
 * containerd 1.7's {@code preStart}/{@code handleStarted}/{@code processExits} ({@code runtime/v2/runc/task/service.go},
 * v1.7.20), which closed the race 1.6.20 had:
 * <ul>
 *   <li>A process can exit before its pid is known (it dies right after {@code runc create}/{@code runc exec}, before
 *       the pid file is read). While a start is in flight its {@link StartWindow} keeps every exit; once the pid is
 *       known, an exit already seen for it is handled at once instead of being lost.</li>
 *   <li>A start event must go out before the exit of that process: the caller queues the start event, then calls
 *       {@link #started}; until then the process is not matchable, so its exit waits in the window.</li>
 *   <li>The init's exit is held back while execs of its container are being started, so their exits (runc kills
 *       them all when the init dies) are published first.</li>
 * </ul>
 * The reaper calls {@link #onReaped} on its own thread, so matching is kept short; the handling (which may run
 * {@code runc kill --all}, itself reaped by that reaper) happens on the handler thread.
 */
final class ExitRouter implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ExitRouter.class.getName());

    /** Called on the handler thread, one exit at a time. */
    @FunctionalInterface
    interface Handler {
        void onExit(Process process, Exit exit);
    }

    /** The exits seen while one process was being started. */
    static final class StartWindow {
        private final Process process;
        private final List<Exit> seen = new ArrayList<>(); // guarded by ExitRouter.lock

        private StartWindow(Process process) {
            this.process = process;
        }
    }

    private record Held(Process init, Exit exit) {}

    private final Object lock = new Object();
    private final Map<Integer, Process> running = new HashMap<>(); // guarded by lock
    private final Set<StartWindow> windows = new HashSet<>(); // guarded by lock
    private final Map<Container, Integer> startingExecs = new HashMap<>(); // guarded by lock
    private final Map<Container, Held> heldInitExits = new HashMap<>(); // guarded by lock
    private final BlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final Handler handler;
    private final Thread worker;
    private final AutoCloseable subscription;

    ExitRouter(Reaper reaper, Handler handler) {
        this.handler = handler;
        // a platform thread: the handler runs runc, whose output is read with blocking FFM reads
        this.worker = Thread.ofPlatform().name("jrunc-task-exits").daemon(true).stackSize(512 * 1024).start(this::work);
        this.subscription = reaper.subscribe(this::onReaped);
    }

    /** Opens a window before runc is asked to make or start {@code process}. */
    StartWindow beforeStart(Process process) {
        StartWindow window = new StartWindow(process);
        synchronized (lock) {
            windows.add(window);
            if (process instanceof ExecProcess) startingExecs.merge(process.container(), 1, Integer::sum);
            // a created init being started: its exit must now wait until TaskStart is queued
            running.values().remove(process);
        }
        return window;
    }

    /**
     * The process runs as {@code pid} and its start event is queued. An exit already seen for that pid is handled
     * now; otherwise the pid is matched from here on.
     */
    void started(StartWindow window, int pid) {
        synchronized (lock) {
            windows.remove(window);
            Exit early = null;
            for (Exit e : window.seen) {
                if (e.pid() == pid) early = e;
            }
            if (early != null) dispatch(window.process, early);
            else if (pid > 0) running.put(pid, window.process);
            execStartEnded(window.process);
        }
    }

    /** runc failed: nothing new runs. A created init (start failed) stays matchable under its known pid. */
    void startFailed(StartWindow window, int knownPid) {
        if (knownPid > 0) {
            started(window, knownPid);
            return;
        }
        synchronized (lock) {
            windows.remove(window);
            execStartEnded(window.process);
        }
    }

    /** The process was deleted: a later exit of its pid is nobody's business. */
    void forget(Process process) {
        synchronized (lock) {
            running.values().remove(process);
        }
    }

    private void execStartEnded(Process process) {
        if (!(process instanceof ExecProcess)) return;
        Container c = process.container();
        int left = startingExecs.merge(c, -1, Integer::sum);
        if (left > 0) return;
        startingExecs.remove(c);
        Held held = heldInitExits.remove(c);
        if (held != null) dispatch(held.init(), held.exit());
    }

    /** On the reaper's thread. */
    private void onReaped(Exit exit) {
        synchronized (lock) {
            for (StartWindow w : windows) w.seen.add(exit);
            Process process = running.remove(exit.pid());
            if (process != null) dispatch(process, exit);
        }
    }

    private void dispatch(Process process, Exit exit) {
        if (process instanceof InitProcess && startingExecs.getOrDefault(process.container(), 0) > 0) {
            heldInitExits.put(process.container(), new Held(process, exit));
            return;
        }
        queue.add(() -> handler.onExit(process, exit));
    }

    private void work() {
        while (true) {
            Runnable next;
            try {
                next = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            try {
                next.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "handling process exit", e);
            }
        }
    }

    @Override
    public void close() {
        try {
            subscription.close();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "unsubscribe from reaper", e);
        }
        worker.interrupt();
    }
}
