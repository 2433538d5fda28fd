package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * How every fault test ends: once containerd has removed the tasks, nothing of them is left on the node — no shim
 * daemon, bundle, mount, socket or runc state ({@link TaskLifecycleIT.Residue}), no process in a task's cgroup
 * ({@code /<namespace>/<id>}, ctr's) — and {@code shim-doctor scan}, run as an operator would after the fault,
 * finds nothing either: it exits 0.
 */
final class NoLeftovers {
    private static final Duration GONE_TIMEOUT = Duration.ofSeconds(15);

    private NoLeftovers() {}

    static void assertNothingLeft(Ctr ctr, Collection<String> ids, Collection<Path> sockets) {
        TaskLifecycleIT.Residue.awaitNothingLeft(ctr, ids, sockets);
        Instant deadline = Instant.now().plus(GONE_TIMEOUT);
        List<String> processes = containerProcesses(ctr.namespace(), ids);
        while (!processes.isEmpty() && Instant.now().isBefore(deadline)) {
            PrivateContainerd.pause(Duration.ofMillis(50));
            processes = containerProcesses(ctr.namespace(), ids);
        }
        assertEquals(List.of(), processes, "container processes left behind");
        CtrResult scan = DoctorCrashIT.doctor(ctr.containerd(), ctr.namespace(), "scan");
        assertEquals(0, scan.exitCode(), () -> "shim-doctor scan after the fault: " + scan.describe());
    }

    /** Processes whose cgroup (any hierarchy) is a task's: {@code .../<namespace>/<id>}. */
    static List<String> containerProcesses(String namespace, Collection<String> ids) {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : proc) {
                String cgroup;
                try {
                    cgroup = Files.readString(p.resolve("cgroup"));
                } catch (IOException gone) {
                    continue;
                }
                for (String line : cgroup.split("\n")) {
                    for (String id : ids) {
                        if (line.endsWith("/" + namespace + "/" + id)) {
                            out.add(p.getFileName() + " " + TaskLifecycleIT.Residue.cmdline(Long.parseLong(p.getFileName().toString())));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.stream().distinct().toList();
    }
}
