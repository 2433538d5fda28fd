package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import jrunc.core.manager.SpareKey;

/**
 * jrunc's warm spares as a test sees them: the spare processes of one containerd and namespace (argv {@code -spare},
 * {@code -address} ours), their rendezvous sockets (named with our address's tag), and the processes that hold a
 * listening socket open (from {@code /proc/net/unix} and every {@code /proc/<pid>/fd}), to prove which process serves
 * a task's socket and that no two do.
 */
final class WarmSpares {
    static final Path SOCKET_DIR = Path.of("/run/containerd/s");
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private WarmSpares() {}

    /** A handler's ConfigPath file that turns the spare on, with an idle time. */
    static Path config(Path dir, int idleSeconds) {
        try {
            return Files.writeString(dir.resolve("spare-" + idleSeconds + ".toml"), """
                    # runc's options keep their defaults
                    [jrunc]
                    spare = true
                    spare_idle_seconds = %d
                    """.formatted(idleSeconds));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the task detached with the handler file, waits until it runs, returns its init pid. */
    static long run(Ctr ctr, Path config, String id) {
        ctr.run(List.of("-d", "--runtime-config-path", config.toString()), id, "sleep", "600").requireSuccess();
        return ctr.awaitTaskStatus(id, "RUNNING", TIMEOUT).pid();
    }

    /** Spare processes of this containerd and namespace. */
    static List<Long> of(Ctr ctr) {
        List<Long> pids = new ArrayList<>();
        for (ProcessHandle p : ProcessHandle.allProcesses().toList()) {
            List<String> argv = TaskLifecycleIT.Residue.cmdline(p.pid());
            if (argv.contains("-spare") && after(argv, "-address").equals(ctr.containerd().address())
                    && after(argv, "-namespace").equals(ctr.namespace())) {
                pids.add(p.pid());
            }
        }
        return pids;
    }

    /** Waits until exactly one spare of ours listens on its rendezvous socket; returns its pid. */
    static long awaitOne(Ctr ctr) throws InterruptedException {
        long[] found = {0};
        boolean one = Poll.until(TIMEOUT, () -> {
            List<Long> spares = of(ctr);
            if (spares.size() != 1) return false;
            Set<Long> listening = new TreeSet<>();
            rendezvousSockets(ctr.containerd()).forEach(s -> listening.addAll(listeners(s)));
            found[0] = spares.getFirst();
            return listening.contains(found[0]);
        });
        assertTrue(one, "no single listening spare of " + ctr.namespace() + ": " + of(ctr) + ", sockets "
                + rendezvousSockets(ctr.containerd()));
        return found[0];
    }

    /** Rendezvous sockets of this containerd's spares. */
    static List<Path> rendezvousSockets(PrivateContainerd containerd) {
        String prefix = SpareKey.socketPrefixFor(containerd.address());
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(SOCKET_DIR, prefix + "*")) {
            entries.forEach(out::add);
        } catch (IOException e) {
            // no socket directory yet
        }
        return out;
    }

    /** Pids holding the listening socket bound at {@code socket} (the kernel's socket inode in their fd table). */
    static Set<Long> listeners(Path socket) {
        Set<String> inodes = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/net/unix"))) {
                String[] f = line.trim().split("\\s+");
                // Num RefCount Protocol Flags Type St Inode Path; Flags 00010000 = __SO_ACCEPTCON (listening)
                if (f.length >= 8 && f[7].equals(socket.toString()) && f[3].endsWith("10000")) inodes.add(f[6]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Set<Long> pids = new TreeSet<>();
        if (inodes.isEmpty()) return pids;
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : proc) {
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(p.resolve("fd"))) {
                    for (Path fd : fds) {
                        String target = Files.readSymbolicLink(fd).toString();
                        if (target.startsWith("socket:[") && inodes.contains(target.substring(8, target.length() - 1))) {
                            pids.add(Long.parseLong(p.getFileName().toString()));
                        }
                    }
                } catch (IOException | SecurityException gone) {
                    // exited meanwhile
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pids;
    }

    /** Waits until {@code pid} is gone. */
    static void awaitGone(long pid, String what) throws InterruptedException {
        assertTrue(Poll.until(TIMEOUT, () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)),
                what + " (pid " + pid + ") is still there: " + TaskLifecycleIT.Residue.cmdline(pid));
    }

    /**
     * Ends this namespace's spares as an operator would (SIGTERM: each removes its rendezvous socket), then checks
     * that no spare and no rendezvous socket of this containerd is left. Only processes whose argv names our
     * containerd and namespace are signalled.
     */
    static void endAll(Ctr ctr) throws InterruptedException {
        for (long pid : of(ctr)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            awaitGone(pid, "a spare sent SIGTERM");
        }
        assertEquals(List.of(), of(ctr), "spares left");
        assertEquals(List.of(), stale(ctr.containerd()), "rendezvous sockets nobody listens on");
    }

    /** Rendezvous sockets of this containerd that no process listens on. */
    static List<Path> stale(PrivateContainerd containerd) {
        return rendezvousSockets(containerd).stream().filter(s -> listeners(s).isEmpty()).toList();
    }

    private static String after(List<String> argv, String flag) {
        int at = argv.indexOf(flag);
        return at >= 0 && at + 1 < argv.size() ? argv.get(at + 1) : "";
    }
}
