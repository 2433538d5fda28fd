package jrunc.doctor.node;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import jrunc.core.doctor.Diagnosis;
import jrunc.core.doctor.Leftover;
import jrunc.core.doctor.Leftover.DeadBundle;
import jrunc.core.doctor.Leftover.HiddenBundle;
import jrunc.core.doctor.Leftover.LeakedShim;
import jrunc.core.doctor.Leftover.OrphanSocket;
import jrunc.core.doctor.Leftover.StrayRuncState;
import jrunc.core.doctor.Leftover.Untouchable;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.doctor.NodeSnapshot.ProcessInfo;
import jrunc.core.manager.MountInfo;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.UnsafeFileException;

/**
 * The evidence of a diagnosis, read before anything is cleaned, for the incident record: per leftover the bundle's
 * small files, the mountinfo lines under it, the runc state, and /proc files of every related process and its
 * descendants. Reading only: like the scan it changes nothing. Files that vanished meanwhile are simply absent.
 *
 * <p>Entry names are relative ({@code <ns>/<id>/bundle/config.json}); the caller chooses the container format.
 */
public final class Evidence {
    /** The bundle files worth keeping (containerd v1.6.20 runtime/v2/bundle.go). {@code log} is a FIFO in Go's shim
     * and is never read. */
    static final List<String> BUNDLE_FILES = List.of("address", "bootstrap.json", "config.json", "init.pid",
            "options.json", "runtime", "shim-binary-path");
    static final List<String> PROC_FILES = List.of("stat", "status", "cmdline", "cgroup");
    /** log.json grows with every runc call; its tail holds the errors of the last ones. */
    static final int LOG_TAIL_BYTES = 64 * 1024;
    /** Nothing a bundle should hold is bigger; a bigger file is cut and marked truncated. */
    static final int MAX_FILE_BYTES = 1024 * 1024;

    /**
     * One file of the evidence.
     *
     * @param name      where it goes, relative, with {@code /} separators
     * @param source    where it was read from
     * @param content   the bytes (at most {@link #MAX_FILE_BYTES}; for log.json the last {@link #LOG_TAIL_BYTES})
     * @param truncated the source was bigger than what was kept
     */
    public record Entry(String name, Path source, byte[] content, boolean truncated) {}

    /** log.json is read whole (through the safe reader) and cut to its tail; bigger than this, it is left out. */
    static final int MAX_LOG_BYTES = 16 << 20;

    private final NodeScanner.Options options;
    private final OperatingSystem os;

    public Evidence(NodeScanner.Options options, OperatingSystem os) {
        this.options = options;
        this.os = os;
    }

    public List<Entry> collect(Diagnosis d) throws IOException {
        String mountinfo = Files.readString(options.proc().resolve("self/mountinfo"), StandardCharsets.UTF_8);
        Map<Integer, List<Integer>> children = new HashMap<>();
        for (ProcessInfo p : d.snapshot().processes().values()) {
            children.computeIfAbsent(p.ppid(), k -> new ArrayList<>()).add(p.pid());
        }
        // One directory per leftover; two leftovers of one id (a dead bundle and its hidden twin) share it.
        Map<String, List<Entry>> byDir = new TreeMap<>();
        for (Leftover l : d.leftovers()) {
            String dir = directoryOf(l);
            List<Entry> out = byDir.computeIfAbsent(dir, k -> new ArrayList<>());
            Set<Integer> pids = new TreeSet<>();
            switch (l) {
                case DeadBundle b -> {
                    bundle(dir + "/bundle/", b.bundle(), out);
                    mounts(dir, b.bundle().path(), mountinfo, out);
                    if (b.runc() != null) file(dir + "/runc/state.json", b.runc().dir().resolve("state.json"), out);
                    b.processes().forEach(p -> pids.add(p.pid()));
                    // A stale init.pid names a process that is not the container's: its /proc shows whose it is now.
                    parsePid(b.bundle().initPid()).ifPresent(pids::add);
                }
                case HiddenBundle h -> {
                    bundle(dir + "/hidden-bundle/", h.bundle(), out);
                    mounts(dir, h.bundle().path(), mountinfo, out);
                }
                case StrayRuncState r -> {
                    file(dir + "/runc/state.json", r.runc().dir().resolve("state.json"), out);
                    if (r.runc().initPid() != 0) pids.add(r.runc().initPid());
                }
                case LeakedShim s -> {
                    pids.add(s.shim().pid());
                    for (Bundle b : s.bundles()) bundle(dir + "/bundles/" + b.id() + "/", b, out);
                }
                case Untouchable u -> { } // a planted file is read by no one; the manifest's findings name it
                case OrphanSocket o -> { } // a socket file holds nothing to read; the manifest's findings name it
            }
            for (int pid : withDescendants(pids, children)) {
                for (String f : PROC_FILES) {
                    file(dir + "/proc/" + pid + "/" + f, options.proc().resolve(Integer.toString(pid)).resolve(f), out);
                }
            }
        }
        return byDir.values().stream().flatMap(List::stream).toList();
    }

    /** {@code <ns>/<id>}; a socket no bundle claims goes under {@code _unclaimed/<socket file name>}. */
    static String directoryOf(Leftover l) {
        if (l instanceof OrphanSocket o) return "_unclaimed/" + o.socket().getFileName();
        return l.namespace() + "/" + l.id();
    }

    private void bundle(String prefix, Bundle b, List<Entry> out) {
        for (String f : BUNDLE_FILES) {
            if (b.files().contains(f)) file(prefix + f, b.path().resolve(f), out);
        }
        if (b.files().contains("log.json")) tail(prefix + "log.json", b.path().resolve("log.json"), out);
    }

    /** The raw mountinfo lines at or below dir, as the kernel wrote them (escapes and all). */
    private static void mounts(String dir, Path under, String mountinfo, List<Entry> out) {
        StringBuilder lines = new StringBuilder();
        for (String line : mountinfo.split("\n")) {
            if (!MountInfo.parse(line, under.toString()).isEmpty()) lines.append(line).append('\n');
        }
        out.add(new Entry(dir + "/mountinfo.txt", Path.of("/proc/self/mountinfo"),
                lines.toString().getBytes(StandardCharsets.UTF_8), false));
    }

    private static Set<Integer> withDescendants(Set<Integer> pids, Map<Integer, List<Integer>> children) {
        Set<Integer> all = new TreeSet<>();
        List<Integer> todo = new ArrayList<>(pids);
        while (!todo.isEmpty()) {
            int pid = todo.removeLast();
            // pid 1 and the kernel's threads are nobody's evidence; an orphan re-parented to 1 is listed itself.
            if (pid > 1 && all.add(pid)) todo.addAll(children.getOrDefault(pid, List.of()));
        }
        return all;
    }

    /**
     * A node file through the safe reader (never a FIFO, socket, device or link: reading one could block or change
     * it), at most 1 MiB: a bigger one is listed, empty and marked truncated. /proc files are the kernel's.
     */
    private void file(String name, Path source, List<Entry> out) {
        if (source.startsWith(options.proc())) {
            procFile(name, source, out);
            return;
        }
        try {
            out.add(new Entry(name, source, os.readRegularFile(source, MAX_FILE_BYTES), false));
        } catch (UnsafeFileException e) {
            if (e.tooLarge()) out.add(new Entry(name, source, new byte[0], true));
        } catch (IOException e) {
            // Gone since the scan: evidence of nothing.
        }
    }

    private static void procFile(String name, Path source, List<Entry> out) {
        try (InputStream in = Files.newInputStream(source)) {
            // /proc files report size 0: read up to the limit and one byte more to know whether it was cut.
            byte[] bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            boolean cut = bytes.length > MAX_FILE_BYTES;
            out.add(new Entry(name, source, cut ? Arrays.copyOf(bytes, MAX_FILE_BYTES) : bytes, cut));
        } catch (IOException e) {
            // the process exited since the scan
        }
    }

    private void tail(String name, Path source, List<Entry> out) {
        try {
            byte[] all = os.readRegularFile(source, MAX_LOG_BYTES);
            int from = Math.max(0, all.length - LOG_TAIL_BYTES);
            out.add(new Entry(name, source, Arrays.copyOfRange(all, from, all.length), from > 0));
        } catch (UnsafeFileException e) {
            if (e.tooLarge()) out.add(new Entry(name, source, new byte[0], true));
        } catch (IOException e) {
            // gone since the scan
        }
    }

    private static Optional<Integer> parsePid(String text) {
        if (text == null) return Optional.empty();
        try {
            int pid = Integer.parseInt(text.trim());
            return pid > 0 ? Optional.of(pid) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
