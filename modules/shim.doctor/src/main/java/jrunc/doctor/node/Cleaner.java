package jrunc.doctor.node;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import jrunc.core.doctor.CleanAction;
import jrunc.core.doctor.CleanPlan;
import jrunc.core.doctor.Roots;
import jrunc.core.doctor.StopAction;
import jrunc.core.manager.BundleReader;
import jrunc.core.manager.MountInfo;
import jrunc.core.manager.RuncStateFile;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.SocketProbe;
import jrunc.core.manager.StopResult;
import jrunc.core.manager.Unmounter;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.FileStat;
import jrunc.core.spi.OperatingSystem;

/**
 * Carries out a {@link CleanPlan}, one action after another, and reports each with its outcome. Like the shim's
 * Stop path it is best effort: a failed action is reported and the next one still runs. Each action first checks
 * again that it is still safe, because the node may have moved since the scan, and that its target is what the plan
 * says inside the {@link Roots} (the plan guarantees it; this is the second lock on the same door):
 * <ul>
 *   <li>a shim that may answer now makes its bundle live, and every later action on it is skipped;</li>
 *   <li>a pid is signalled through a pidfd opened first, then checked to have the start time it was judged by,
 *       so no reused pid is ever hit; never pid 1, the doctor or an ancestor of it;</li>
 *   <li>a socket is removed only when lstat says socket, it lies in the socket directory, and it still refuses;</li>
 *   <li>a directory is removed only when nothing under it is mounted, and never across a mount.</li>
 * </ul>
 */
public final class Cleaner {

    /** What became of one action. The wire names of {@link Status} are part of the JSON schema. */
    public record Outcome(CleanAction action, Status status, String detail, List<StopResult.Step> steps) {
        public Outcome {
            steps = List.copyOf(steps);
        }
    }

    public enum Status {
        DONE("done"), SKIPPED("skipped"), FAILED("failed");

        private final String wireName;

        Status(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    private static final java.time.Duration REMOVE_SETTLE = java.time.Duration.ofMillis(50);

    private final StopAction stop;
    private final OperatingSystem os;
    private final Roots roots;
    private final Signaller signaller;
    private final SocketProbe prober;
    private final ShimQuestions questions;
    private final BundleReader reader;

    public Cleaner(StopAction stop, OperatingSystem os, NodeScanner.Options options) {
        this.stop = stop;
        this.os = os;
        this.roots = options.roots();
        this.signaller = new Signaller(os, options.proc());
        this.prober = new SocketProbe(os, options.connectTimeout());
        this.questions = new ShimQuestions(options.connectTimeout().multipliedBy(10));
        this.reader = new BundleReader(os);
    }

    public List<Outcome> execute(CleanPlan plan) {
        List<Outcome> out = new ArrayList<>();
        Set<String> liveAgain = new HashSet<>();
        for (CleanAction a : plan.actions()) {
            String key = a.namespace() + "/" + a.id();
            Outcome o;
            if (liveAgain.contains(key)) {
                o = new Outcome(a, Status.SKIPPED, "its shim may answer again: the bundle is live", List.of());
            } else {
                try {
                    o = run(a, plan);
                } catch (IOException | RuntimeException e) {
                    o = new Outcome(a, Status.FAILED, String.valueOf(e.getMessage()), List.of());
                }
            }
            // A stop skipped because a shim may answer, or a leaked shim that is not gone: its bundles are live.
            if ((a.type() == CleanAction.Type.STOP && o.status() == Status.SKIPPED)
                || (a.type() == CleanAction.Type.SHUTDOWN_SHIM && o.status() != Status.DONE)) {
                liveAgain.add(key);
                a.tasks().forEach(t -> liveAgain.add(a.namespace() + "/" + t));
            }
            out.add(o);
        }
        return out;
    }

    private Outcome run(CleanAction a, CleanPlan plan) throws IOException {
        return switch (a.type()) {
            case STOP -> stop(a, plan);
            case UNMOUNT -> unmount(a);
            case KILL -> kill(a);
            case SHUTDOWN_SHIM -> shutdownShim(a);
            case REMOVE_SOCKET -> removeSocket(a);
            case REMOVE_RUNC_STATE -> removeRuncState(a);
            case REMOVE_BUNDLE -> removeBundle(a);
        };
    }

    private static Outcome outcome(CleanAction a, Status s, String detail) {
        return new Outcome(a, s, detail, List.of());
    }

    private Outcome refuse(CleanAction a, String why) {
        return outcome(a, Status.FAILED, "refused: " + a.target() + " " + why);
    }

    private Outcome stop(CleanAction a, CleanPlan plan) throws IOException {
        Path bundle = a.target();
        if (!roots.isBundleDir(bundle)) return refuse(a, "is not a bundle directory of " + roots.tasksDir());
        Path socket = SocketAddress.socketFile(reader.address(bundle).orElse(null));
        if (socket != null && prober.probe(socket).mayBeServed()) {
            return outcome(a, Status.SKIPPED, "a shim may answer on " + socket + " now: the bundle is live");
        }
        StopResult r = stop.stop(bundle, a.namespace(), a.id(), plan.runcRoot());
        // init.pid is what containerd would be told; the doctor signals nobody by it, so its absence (a task that
        // never got Create) fails nothing.
        List<String> failures = r.steps().stream().filter(s -> !s.ok() && !s.action().equals("read-init-pid"))
                .map(s -> s.action() + " " + s.target() + ": " + s.detail()).toList();
        return failures.isEmpty()
                ? new Outcome(a, Status.DONE, r.pid() == 0 ? "no init pid" : "init pid " + r.pid(), r.steps())
                : new Outcome(a, Status.FAILED, String.join("; ", failures), r.steps());
    }

    private Outcome unmount(CleanAction a) {
        if (!roots.isInsideBundle(a.target())) return refuse(a, "is not inside a bundle of " + roots.tasksDir());
        List<StopResult.Step> steps = new Unmounter(os).unmountAll(a.target(), Unmounter.Busy.DETACH);
        if (steps.isEmpty()) return outcome(a, Status.SKIPPED, "not mounted any more");
        boolean ok = steps.stream().allMatch(StopResult.Step::ok);
        return new Outcome(a, ok ? Status.DONE : Status.FAILED,
                ok ? "unmounted " + steps.size() + " mount(s)" : steps.getLast().detail(), steps);
    }

    private Outcome kill(CleanAction a) throws IOException {
        Signaller.Result r = signaller.kill(a.pid(), a.startTicks());
        return switch (r) {
            case SIGNALLED -> outcome(a, Status.DONE, "SIGKILL sent to pid " + a.pid());
            case GONE -> outcome(a, Status.SKIPPED, "already exited");
            case REUSED -> outcome(a, Status.SKIPPED, "pid " + a.pid() + " now belongs to another process: not signalled");
            case PROTECTED -> refuse(a, "is pid 1, the doctor or an ancestor of it: never signalled");
        };
    }

    /**
     * A leaked shim: if it still knows none of its bundles, ask it to Shutdown (containerd's own way to stop a shim)
     * and wait for it to go. A shim that answered Shutdown and stays still serves a task: it is left alone. Only a
     * shim that did not answer at all and stays is SIGKILLed, through a pidfd checked against its start time.
     */
    private Outcome shutdownShim(CleanAction a) throws IOException {
        if (!signaller.isRunning(a.pid(), a.startTicks())) return outcome(a, Status.SKIPPED, "already exited");
        Path socket = UnixListeners.of(signaller.proc(), List.of(a.pid())).get(a.pid());
        if (socket != null && !a.tasks().isEmpty()) {
            var answer = questions.ask(socket, a.tasks().stream().map(t -> new ShimQuestions.Task(a.namespace(), t)).toList());
            if (answer == null || !answer.knowsNone() || answer.shimPid() != a.pid()) {
                return outcome(a, Status.SKIPPED, "the shim now knows one of its bundles, or did not say: left alone");
            }
        }
        boolean answered = socket != null && questions.shutdown(socket, a.namespace(), a.id());
        if (signaller.awaitExit(a.pid(), a.startTicks(), ShimQuestions.SHUTDOWN_TIMEOUT)) {
            return outcome(a, Status.DONE, "shut down (" + (answered ? "answered Shutdown" : "exited") + ")");
        }
        if (answered) {
            return outcome(a, Status.FAILED, "answered Shutdown but stays: it still serves a task; not killed");
        }
        return switch (signaller.kill(a.pid(), a.startTicks())) {
            case SIGNALLED -> outcome(a, Status.DONE, "did not answer Shutdown: SIGKILL sent to pid " + a.pid());
            case GONE -> outcome(a, Status.DONE, "exited");
            case REUSED -> outcome(a, Status.SKIPPED, "pid " + a.pid() + " now belongs to another process: not signalled");
            case PROTECTED -> refuse(a, "is pid 1, the doctor or an ancestor of it: never signalled");
        };
    }

    private Outcome removeSocket(CleanAction a) throws IOException {
        if (!roots.isSocketFile(a.target())) return refuse(a, "is not in the socket directory " + roots.socketDir());
        // It refused at the scan already; a short settle covers a shim that re-bound it since and has not listened yet.
        SocketProbe.Result p = prober.probeUntilSettled(a.target(), REMOVE_SETTLE);
        return switch (p) {
            case MISSING -> outcome(a, Status.SKIPPED, "already gone");
            case NOT_A_SOCKET -> refuse(a, "is not a socket");
            case ACCEPTING, UNCLEAR -> outcome(a, Status.SKIPPED, "something may accept on it now");
            case REFUSED -> {
                if (!os.lstat(a.target()).isSocket()) yield refuse(a, "is not a socket");
                java.nio.file.Files.deleteIfExists(a.target());
                yield outcome(a, Status.DONE, "removed");
            }
        };
    }

    private Outcome removeRuncState(CleanAction a) throws IOException {
        if (!roots.isRuncStateDir(a.target())) return refuse(a, "is not a runc state directory of " + roots.runcRoot());
        if (!exists(a.target())) return outcome(a, Status.SKIPPED, "already gone (runc delete removed it)");
        RuncStateFile init = reader.runcState(a.target()).orElse(null);
        if (init != null && init.initPid() != 0 && init.initStart() != 0 && signaller.isRunning(init.initPid(), init.initStart())) {
            return outcome(a, Status.FAILED, "the container's init (pid " + init.initPid() + ") is still running");
        }
        new TreeRemover(os).remove(a.target());
        return outcome(a, Status.DONE, "removed");
    }

    private Outcome removeBundle(CleanAction a) throws IOException {
        if (!roots.isBundleDir(a.target())) return refuse(a, "is not a bundle directory of " + roots.tasksDir());
        if (!exists(a.target())) return outcome(a, Status.SKIPPED, "already gone");
        String dir = a.target().toString();
        List<MountInfo> mounted = MountInfo.under(MountInfo.parse(os.mountInfo(), dir), dir);
        if (!mounted.isEmpty()) {
            return outcome(a, Status.FAILED, "still mounted: " + mounted.getFirst().mountPoint()
                    + (mounted.size() > 1 ? " and " + (mounted.size() - 1) + " more" : ""));
        }
        new TreeRemover(os).remove(a.target());
        return outcome(a, Status.DONE, "removed");
    }

    private boolean exists(Path p) throws IOException {
        try {
            return os.lstat(p).type() == FileStat.Type.DIRECTORY;
        } catch (ErrnoException e) {
            if (e.errno() == ErrnoException.ENOENT) return false;
            throw e;
        }
    }
}
