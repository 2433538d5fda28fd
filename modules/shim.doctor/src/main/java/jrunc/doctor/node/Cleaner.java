package jrunc.linux.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import jrunc.core.doctor.CleanAction;
import jrunc.core.doctor.CleanPlan;
import jrunc.core.doctor.NodeSnapshot.Probe;
import jrunc.core.doctor.SpecFields;
import jrunc.core.doctor.StopAction;
import jrunc.core.manager.MountInfo;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.StopResult;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.OperatingSystem;

/**
 * Carries out a {@link CleanPlan}, one action after another, and reports each with its outcome. Like the shim's
 * Stop path it is best effort: a failed action is reported and the next one still runs. Each action first checks
 * again that it is still safe, because the node may have moved since the scan: a shim that answers now makes its
 * bundle live and every later action on it is skipped; a pid is signalled only with the start time it was judged
 * by; a directory is removed only when nothing under it is mounted (removing through a mount would delete a
 * container's data).
 *
 * <p>The kernel is reached through {@link OperatingSystem} (umount2, kill, mountinfo), the Stop path through
 * {@link StopAction} ({@code new StopPath(os)::stop} in production, a fake in tests).
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

    private static final int SIGKILL = 9, SIGKILL_WAIT_MS = 2000;

    private final StopAction stop;
    private final OperatingSystem os;
    private final Path proc;
    private final SocketProbe prober;

    public Cleaner(StopAction stop, OperatingSystem os, NodeScanner.Options options) {
        this.stop = stop;
        this.os = os;
        this.proc = options.proc();
        this.prober = new SocketProbe(options.connectTimeout());
    }

    public List<Outcome> execute(CleanPlan plan) {
        List<Outcome> out = new ArrayList<>();
        Set<String> liveAgain = new HashSet<>();
        for (CleanAction a : plan.actions()) {
            String key = a.namespace() + "/" + a.id();
            Outcome o;
            if (liveAgain.contains(key)) {
                o = new Outcome(a, Status.SKIPPED, "its shim answers again: the bundle is live", List.of());
            } else {
                try {
                    o = run(a, plan);
                } catch (IOException | RuntimeException e) {
                    o = new Outcome(a, Status.FAILED, String.valueOf(e.getMessage()), List.of());
                }
            }
            if (a.type() == CleanAction.Type.STOP && o.status() == Status.SKIPPED) liveAgain.add(key);
            out.add(o);
        }
        return out;
    }

    private Outcome run(CleanAction a, CleanPlan plan) throws IOException {
        return switch (a.type()) {
            case STOP -> stop(a, plan);
            case UNMOUNT -> unmountOne(a);
            case KILL -> kill(a);
            case REMOVE_SOCKET -> removeSocket(a);
            case REMOVE_RUNC_STATE -> removeRuncState(a);
            case REMOVE_BUNDLE -> removeBundle(a);
        };
    }

    private Outcome stop(CleanAction a, CleanPlan plan) throws IOException {
        Path bundle = a.target();
        Path address = bundle.resolve("address");
        if (Files.exists(address)) {
            Path socket = SocketAddress.socketFile(Files.readString(address, StandardCharsets.UTF_8));
            if (socket != null && prober.probe(socket).alive()) {
                return new Outcome(a, Status.SKIPPED, "shim answers on " + socket + " now: bundle is live", List.of());
            }
        }
        StopResult r = stop.stop(bundle, a.namespace(), a.id(), plan.runcRoot());
        return r.warnings().isEmpty()
                ? new Outcome(a, Status.DONE, "init pid " + r.pid(), r.steps())
                : new Outcome(a, Status.FAILED, String.join("; ", r.warnings()), r.steps());
    }

    private Outcome unmountOne(CleanAction a) throws IOException {
        try {
            os.unmount(a.target(), 0);
            return new Outcome(a, Status.DONE, "unmounted", List.of());
        } catch (ErrnoException e) {
            if (e.errno() == ErrnoException.EINVAL || e.errno() == ErrnoException.ENOENT) {
                return new Outcome(a, Status.SKIPPED, "not mounted any more", List.of());
            }
            if (e.errno() != ErrnoException.EBUSY) throw e;
            // Busy: usually the mount leaked into another mount namespace. Detach it as
            // `umount -l` does; the kernel frees it when the last user goes.
            os.unmount(a.target(), OperatingSystem.MountFlags.MNT_DETACH);
            return new Outcome(a, Status.DONE, "busy, detached (lazy unmount)", List.of());
        }
    }

    private Outcome kill(CleanAction a) throws IOException {
        long now = ProcTable.startTicks(proc, a.pid());
        if (now >= 0 && now != a.startTicks()) {
            return new Outcome(a, Status.SKIPPED, "pid " + a.pid() + " now belongs to another process: not signalled", List.of());
        }
        if (!ProcTable.isRunning(proc, a.pid(), a.startTicks())) {
            return new Outcome(a, Status.SKIPPED, "already exited", List.of());
        }
        // The start time was checked just above, microseconds before kill(2). Without a pidfd in the OS interface a
        // reuse in between stays possible in theory; it needs the pid space to wrap around in that window.
        try {
            os.kill(a.pid(), SIGKILL);
        } catch (ErrnoException e) {
            if (e.errno() == ErrnoException.ESRCH) return new Outcome(a, Status.SKIPPED, "already exited", List.of());
            throw e;
        }
        // Wait for it to go (or to become a zombie its new parent has not reaped yet: it holds nothing any more),
        // so the removals that follow do not race a dying process still holding the rootfs.
        long deadline = System.nanoTime() + SIGKILL_WAIT_MS * 1_000_000L;
        while (ProcTable.isRunning(proc, a.pid(), a.startTicks()) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return new Outcome(a, Status.DONE, "SIGKILL sent to pid " + a.pid(), List.of());
    }

    private Outcome removeSocket(CleanAction a) throws IOException {
        Probe p = prober.probe(a.target());
        if (p == Probe.MISSING) return new Outcome(a, Status.SKIPPED, "already gone", List.of());
        if (p == Probe.ACCEPTING) return new Outcome(a, Status.SKIPPED, "something accepts on it now", List.of());
        Files.deleteIfExists(a.target());
        return new Outcome(a, Status.DONE, "removed", List.of());
    }

    private Outcome removeRuncState(CleanAction a) throws IOException {
        if (!Files.exists(a.target(), LinkOption.NOFOLLOW_LINKS)) {
            return new Outcome(a, Status.SKIPPED, "already gone (runc delete removed it)", List.of());
        }
        try {
            SpecFields.RuncInit init = SpecFields.runcState(Files.readString(a.target().resolve("state.json")));
            if (init.pid() != 0 && init.startTicks() != 0 && ProcTable.startTicks(proc, init.pid()) == init.startTicks()) {
                return new Outcome(a, Status.FAILED, "the container's init (pid " + init.pid() + ") is still running",
                        List.of());
            }
        } catch (NoSuchFileException e) {
            // No state.json: nothing runc could still act on.
        }
        removeTree(a.target());
        return new Outcome(a, Status.DONE, "removed", List.of());
    }

    private Outcome removeBundle(CleanAction a) throws IOException {
        if (!Files.exists(a.target(), LinkOption.NOFOLLOW_LINKS)) {
            return new Outcome(a, Status.SKIPPED, "already gone", List.of());
        }
        String dir = a.target().toString();
        List<MountInfo> mounted = MountInfo.under(MountInfo.parse(os.mountInfo(), dir), dir);
        if (!mounted.isEmpty()) {
            return new Outcome(a, Status.FAILED, "still mounted: " + mounted.getFirst().mountPoint()
                    + (mounted.size() > 1 ? " and " + (mounted.size() - 1) + " more" : ""), List.of());
        }
        removeTree(a.target());
        return new Outcome(a, Status.DONE, "removed", List.of());
    }

    /** rm -r without following links: the bundle's {@code work} symlink goes, its target (containerd root) stays. */
    static void removeTree(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
