package jrunc.doctor.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jrunc.core.doctor.NodeSnapshot.ProcessInfo;
import jrunc.core.doctor.ProcStat;
import jrunc.core.doctor.ShimArgv;

/**
 * One pass over /proc: argv, start time and cgroup of every process, and the working directory of shim daemons.
 * Processes come and go while we read; one that vanishes half-way is simply left out. /proc's files are the
 * kernel's own (never a FIFO or a link a node could plant), so they are read with the JDK's file API.
 */
final class ProcTable {
    private ProcTable() {}

    static Map<Integer, ProcessInfo> read(Path proc) throws IOException {
        Map<Integer, ProcessInfo> out = new HashMap<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(proc)) {
            for (Path p : dir) {
                int pid = pidOf(p.getFileName().toString());
                if (pid <= 0) continue;
                ProcessInfo info = readOne(p, pid);
                if (info != null) out.put(pid, info);
            }
        }
        return out;
    }

    /** The process as /proc shows it now, or null when it is gone. */
    static ProcessInfo readOne(Path pidDir, int pid) {
        try {
            ProcStat stat = ProcStat.parse(Files.readString(pidDir.resolve("stat"), StandardCharsets.UTF_8));
            if (stat == null) return null;
            List<String> argv = argv(Files.readAllBytes(pidDir.resolve("cmdline")));
            if (argv.isEmpty()) {
                // A kernel thread or a zombie: never a container's process nor a shim; no cgroup or root to read.
                return new ProcessInfo(pid, stat.ppid(), argv, stat.startTicks(), null, null);
            }
            // containerd starts each shim in its bundle: its working directory says whose state it belongs to.
            String cwd = ShimArgv.parse(argv) != null ? linkOrNull(pidDir.resolve("cwd")) : null;
            return new ProcessInfo(pid, stat.ppid(), argv, stat.startTicks(), readOrNull(pidDir.resolve("cgroup")), cwd);
        } catch (IOException e) {
            return null;
        }
    }

    /** The pid of the reader itself as this /proc numbers it ({@code /proc/self}), 0 when unknown. */
    static int self(Path proc) {
        try {
            return pidOf(Files.readSymbolicLink(proc.resolve("self")).toString());
        } catch (IOException | UnsupportedOperationException e) {
            return 0;
        }
    }

    /** pid 1, the reader and every ancestor of the reader, as /proc shows them now. */
    static java.util.Set<Integer> protectedPids(Path proc) {
        java.util.Set<Integer> out = new java.util.HashSet<>(java.util.Set.of(1));
        for (int pid = self(proc); pid > 0 && out.add(pid); ) {
            try {
                ProcStat stat = ProcStat.parse(Files.readString(proc.resolve(Integer.toString(pid)).resolve("stat")));
                pid = stat == null ? 0 : stat.ppid();
            } catch (IOException e) {
                pid = 0;
            }
        }
        return out;
    }

    /** The start time of pid now, or -1 when it is gone. */
    static long startTicks(Path proc, int pid) {
        try {
            ProcStat stat = ProcStat.parse(Files.readString(proc.resolve(Integer.toString(pid)).resolve("stat")));
            return stat == null ? -1 : stat.startTicks();
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * True while pid is the process that started at {@code startTicks} and has not exited. A zombie (state Z) has
     * exited: it only waits for its parent to reap it.
     */
    static boolean isRunning(Path proc, int pid, long startTicks) {
        try {
            String text = Files.readString(proc.resolve(Integer.toString(pid)).resolve("stat"));
            ProcStat stat = ProcStat.parse(text);
            int close = text.lastIndexOf(')');
            char state = close + 2 < text.length() ? text.charAt(close + 2) : '?';
            return stat != null && stat.startTicks() == startTicks && state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    private static List<String> argv(byte[] cmdline) {
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < cmdline.length; i++) {
            if (cmdline[i] == 0) {
                out.add(new String(cmdline, from, i - from, StandardCharsets.UTF_8));
                from = i + 1;
            }
        }
        if (from < cmdline.length) out.add(new String(cmdline, from, cmdline.length - from, StandardCharsets.UTF_8));
        return out;
    }

    private static String readOrNull(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }

    private static String linkOrNull(Path p) {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    private static int pidOf(String name) {
        if (name.isEmpty() || name.length() > 10) return -1;
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) < '0' || name.charAt(i) > '9') return -1;
        }
        return Integer.parseInt(name);
    }
}
