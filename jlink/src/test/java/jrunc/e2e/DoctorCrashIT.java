package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * shim-doctor against the crash it exists for: containerd SIGKILLed, then the shim daemons
 * of some tasks SIGKILLed, on our shim and on Go's {@code containerd-shim-runc-v2} side by side in one namespace,
 * grouped tasks among them. The doctor binary of the image is run exactly as a runbook would run it.
 *
 * <p>Scope: {@code --state} is this test's private containerd and {@code --namespace} its unique namespace, so the
 * shared {@code /run/containerd/s} and runc root of the host are read but nothing outside the test is reported.
 */
@ContainerdTest(shim = Shim.JRUNC)
class DoctorCrashIT {
    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(30);

    @TempDir Path tmp;

    /**
     * A task the test started.
     *
     * @param pid     its init, from {@code ctr task ls}
     * @param started the init's start time, so a reused pid is not taken for it
     * @param shim    the shim daemon serving it
     */
    private record Started(Ctr ctr, String id, long pid, long started, long shim) {
        Path bundle() {
            return ctr.bundle(id);
        }

        Path runcState() {
            return RUNC_ROOT.resolve(ctr.namespace()).resolve(id);
        }

        boolean containerRunning() {
            return running(pid) && startTicks(pid) == started;
        }
    }

    /** The tests crash containerd; the extension tidies each namespace through it, so it must be up again. */
    @AfterEach
    void containerdRunsAgain(PrivateContainerd containerd) {
        if (!containerd.isRunning()) containerd.restart();
    }

    @Test
    void scanFindsEveryDeadBundleAndCleanRemovesThemWhileLiveTasksSurvive(Ctr jrunc) throws Exception {
        PrivateContainerd containerd = jrunc.containerd();
        String ns = jrunc.namespace();
        Ctr go = new Ctr(containerd, ns, Shim.RUNC_V2);
        Map<String, Started> tasks = new LinkedHashMap<>();
        for (Ctr ctr : List.of(jrunc, go)) {
            String p = ctr == jrunc ? "j-" : "g-";
            start(ctr, p + "live", null, tasks);
            start(ctr, p + "dead", null, tasks);
            start(ctr, p + "pod-a", p + "pod", tasks); // one shim serves both pod tasks
            start(ctr, p + "pod-b", p + "pod", tasks);
        }
        assertEquals(tasks.get("j-pod-a").shim(), tasks.get("j-pod-b").shim(), "our shim groups by annotation");
        assertEquals(tasks.get("g-pod-a").shim(), tasks.get("g-pod-b").shim(), "Go's shim groups by annotation");
        List<Started> live = List.of(tasks.get("j-live"), tasks.get("g-live"));
        List<Started> dead = tasks.values().stream().filter(t -> !live.contains(t)).toList();
        Map<Path, Set<String>> deadSockets = new LinkedHashMap<>();
        dead.forEach(t -> deadSockets.computeIfAbsent(socketOf(t.bundle()), k -> new TreeSet<>()).add(t.id()));

        // The crash: containerd first (no shutdown path runs), then the shims of the dead tasks.
        containerd.kill9();
        for (long shim : dead.stream().map(Started::shim).distinct().toList()) killShim(shim);
        for (Started t : dead) {
            assertTrue(t.containerRunning(), "the container outlives its shim: " + t);
            assertTrue(mountedUnder(t.bundle().resolve("rootfs")), "rootfs stays mounted: " + t);
        }

        CtrResult table = doctor(containerd, ns, "scan");
        System.out.println("[doctor] scan (table):\n" + table.stdout());
        CtrResult scan = doctor(containerd, ns, "scan", "--json");
        System.out.println("[doctor] scan --json:\n" + scan.stdout());
        assertEquals(1, scan.exitCode(), scan::describe);
        JsonNode findings = json(scan).path("findings");
        for (Started t : dead) {
            assertFinding(findings, t.id(), "dead-shim-bundle", t.bundle());
            JsonNode bundle = finding(findings, t.id(), "dead-shim-bundle", t.bundle());
            assertTrue(bundle.path("files").toString().contains("\"init.pid\""), bundle.toString());
            assertTrue(bundle.path("address").asText().contains(socketOf(t.bundle()).toString()), bundle.toString());
            assertFinding(findings, t.id(), "rootfs-mount", t.bundle().resolve("rootfs"));
            assertFinding(findings, t.id(), "runc-state", t.runcState());
            JsonNode process = finding(findings, t.id(), "container-process", Path.of("/proc/" + t.pid()));
            assertEquals(t.pid(), process.path("pid").asLong(), "the pid of init.pid, verified: " + process);
        }
        for (Map.Entry<Path, Set<String>> s : deadSockets.entrySet()) {
            JsonNode socket = null;
            for (JsonNode f : findings) {
                if (f.path("kind").asText().equals("orphaned-socket") && f.path("path").asText().equals(s.getKey().toString())) {
                    assertTrue(socket == null, "a shared socket is reported once: " + s.getKey());
                    socket = f;
                }
            }
            assertTrue(socket != null, "no orphaned-socket finding for " + s + " in " + findings);
            List<String> claimedBy = new ArrayList<>();
            socket.path("bundles").forEach(b -> claimedBy.add(b.asText()));
            assertEquals(List.copyOf(s.getValue()), claimedBy, socket.toString());
        }
        for (JsonNode f : findings) {
            String id = f.path("id").asText();
            assertTrue(dead.stream().anyMatch(t -> t.id().equals(id)), "only dead tasks are reported, not: " + f);
        }

        // Evidence first, as an incident runbook would: the bundle, mounts, processes and runc state of each.
        Path evidence = tmp.resolve("evidence.tar.gz");
        CtrResult collect = doctor(containerd, ns, "collect", "--out", evidence.toString());
        assertEquals(1, collect.exitCode(), collect::describe);
        List<String> entries = Commands.run(List.of("tar", "-tzf", evidence.toString()), Duration.ofSeconds(30))
                .requireSuccess().stdout().lines().toList();
        Started j = tasks.get("j-dead");
        String base = "shim-doctor-evidence/" + ns + "/j-dead/";
        for (String name : List.of("manifest.json", ns + "/j-dead/bundle/config.json", ns + "/j-dead/bundle/init.pid",
                ns + "/j-dead/bundle/address", ns + "/j-dead/mountinfo.txt", ns + "/j-dead/runc/state.json",
                ns + "/j-dead/proc/" + j.pid() + "/stat", ns + "/j-dead/proc/" + j.pid() + "/cgroup")) {
            assertTrue(entries.contains("shim-doctor-evidence/" + name), name + " not in " + entries);
        }
        String mountinfo = Commands.run(List.of("tar", "-xzOf", evidence.toString(), base + "mountinfo.txt"),
                Duration.ofSeconds(30)).requireSuccess().stdout();
        assertTrue(mountinfo.contains(j.bundle().resolve("rootfs").toString()), mountinfo);

        CtrResult clean = doctor(containerd, ns, "clean", "--yes", "--json");
        System.out.println("[doctor] clean --yes --json:\n" + clean.stdout());
        assertEquals(0, clean.exitCode(), clean::describe);
        for (Started t : dead) {
            assertFalse(mountedUnder(t.bundle()), "mount left under " + t.bundle());
            assertFalse(Files.exists(t.runcState()), "runc state left: " + t.runcState());
            assertTrue(Poll.until(Duration.ofSeconds(10), () -> !t.containerRunning()), "container still running: " + t);
            assertFalse(Files.exists(t.bundle()), "bundle left: " + t.bundle());
        }
        for (Path socket : deadSockets.keySet()) assertFalse(Files.exists(socket), "socket left: " + socket);
        for (Started t : live) {
            assertTrue(t.containerRunning(), "a live task was touched: " + t);
            assertTrue(running(t.shim()), "a live shim was touched: " + t);
            assertTrue(Files.exists(socketOf(t.bundle())), "a live shim's socket was removed: " + t);
        }
        CtrResult again = doctor(containerd, ns, "scan");
        assertEquals(0, again.exitCode(), again::describe);
        assertEquals("no leftovers", again.stdout().strip());

        // containerd, started again, still manages the tasks whose shims lived, and knows nothing of the others.
        containerd.restart();
        for (Started t : live) {
            t.ctr().awaitTaskStatus(t.id(), "RUNNING", STATE_TIMEOUT);
            t.ctr().ctr("task", "kill", "-s", "KILL", t.id()).requireSuccess();
            t.ctr().awaitTaskStatus(t.id(), "STOPPED", STATE_TIMEOUT);
            t.ctr().ctr("task", "rm", t.id()).requireSuccess();
        }
        for (Started t : dead) assertTrue(jrunc.task(t.id()).isEmpty(), "containerd lists a cleaned task: " + t);
    }

    @Test
    void aReusedInitPidIsNeverSignalledAndDryRunAndRefusalChangeNothing(Ctr jrunc) throws Exception {
        PrivateContainerd containerd = jrunc.containerd();
        String ns = jrunc.namespace();
        Map<String, Started> tasks = new LinkedHashMap<>();
        Started t = start(jrunc, "reused", null, tasks);
        Process bystander = new ProcessBuilder("sleep", "600").redirectErrorStream(true).start();
        try {
            containerd.kill9();
            killShim(t.shim());
            // As after a reboot or a long outage: init.pid now names a process that has nothing to do with the task.
            Files.writeString(t.bundle().resolve("init.pid"), Long.toString(bystander.pid()));

            List<String> before = tree(containerd.stateDir());
            CtrResult refused = doctor(containerd, ns, "clean");
            assertEquals(2, refused.exitCode(), refused::describe);
            assertTrue(refused.stderr().contains("refusing"), refused::describe);

            CtrResult dryRun = doctor(containerd, ns, "clean", "--dry-run");
            System.out.println("[doctor] clean --dry-run:\n" + dryRun.stdout());
            assertEquals(1, dryRun.exitCode(), dryRun::describe);
            assertTrue(dryRun.stdout().contains("dry run: clean --yes would carry out:"), dryRun::describe);
            JsonNode plan = json(doctor(containerd, ns, "clean", "--dry-run", "--json"));
            assertTrue(plan.path("dryRun").asBoolean());
            List<String> actions = new ArrayList<>();
            for (JsonNode a : plan.path("actions")) {
                assertEquals("planned", a.path("status").asText(), a.toString());
                actions.add(a.path("action").asText());
                assertTrue(a.path("pid").asLong() != bystander.pid(), "the bystander is never planned for a kill: " + a);
            }
            assertEquals("stop", actions.getFirst(), actions.toString());
            assertTrue(actions.containsAll(List.of("remove-socket", "remove-bundle")), actions.toString());
            JsonNode stale = finding(plan.path("findings"), "reused", "stale-init-pid", t.bundle().resolve("init.pid"));
            assertTrue(stale.path("detail").asText().contains("now belongs to another process"), stale.toString());
            assertEquals(before, tree(containerd.stateDir()), "refusal and dry run changed nothing");
            assertTrue(t.containerRunning() && mountedUnder(t.bundle()) && Files.exists(t.runcState()));

            CtrResult clean = doctor(containerd, ns, "clean", "--yes");
            System.out.println("[doctor] clean --yes:\n" + clean.stdout());
            assertEquals(0, clean.exitCode(), clean::describe);
            assertTrue(bystander.isAlive(), "the process init.pid named was signalled");
            assertTrue(Poll.until(Duration.ofSeconds(10), () -> !t.containerRunning()), "the container still runs");
            assertFalse(Files.exists(t.bundle()));
            assertFalse(Files.exists(t.runcState()));
        } finally {
            bystander.destroyForcibly();
        }
    }

    private static Started start(Ctr ctr, String id, String group, Map<String, Started> into) {
        List<String> flags = new ArrayList<>(List.of("-d"));
        if (group != null) flags.addAll(List.of("--annotation", GROUP_ANNOTATION + "=" + group));
        ctr.run(flags, id, "sleep", "600").requireSuccess();
        Ctr.Task task = ctr.awaitTaskStatus(id, "RUNNING", STATE_TIMEOUT);
        Started s = new Started(ctr, id, task.pid(), startTicks(task.pid()), shimOf(ctr.containerd(), task));
        into.put(id, s);
        return s;
    }

    private static void assertFinding(JsonNode findings, String id, String kind, Path path) {
        finding(findings, id, kind, path);
    }

    private static JsonNode finding(JsonNode findings, String id, String kind, Path path) {
        for (JsonNode f : findings) {
            if (f.path("id").asText().equals(id) && f.path("kind").asText().equals(kind)
                && f.path("path").asText().equals(path.toString())) return f;
        }
        throw new AssertionError("no " + kind + " finding for " + id + " at " + path + " in " + findings);
    }


    /** containerd passes no runc root to its shims, so runc keeps its state under this, per namespace. */
    static final Path RUNC_ROOT = Path.of("/run/containerd/runc");
    static final String GROUP_ANNOTATION = "io.containerd.runc.v2.group";
    private static final Duration DOCTOR_TIMEOUT = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code <image>/bin/shim-doctor args... --state <ours> --runc-root /run/containerd/runc --namespace <ns>}. */
    static CtrResult doctor(PrivateContainerd containerd, String namespace, String... args) {
        List<String> argv = new ArrayList<>(List.of(Shim.image().resolve("bin/shim-doctor").toString()));
        argv.addAll(List.of(args));
        argv.addAll(List.of("--state", containerd.stateDir().toString(), "--runc-root", RUNC_ROOT.toString(),
                "--namespace", namespace));
        // a lock of this test's own: the default one in /run is shared with every other test run on the machine
        argv.addAll(List.of("--lock", containerd.dir().resolve("shim-doctor.lock").toString()));
        return Commands.run(argv, DOCTOR_TIMEOUT);
    }

    static JsonNode json(CtrResult r) {
        try {
            return JSON.readTree(r.stdout());
        } catch (IOException e) {
            throw new AssertionError("not one JSON document: " + r.describe(), e);
        }
    }

    /** The parent of a task's init: the shim daemon (it is a child subreaper, so runc's child lands on it). */
    static long shimOf(PrivateContainerd containerd, Ctr.Task task) {
        long ppid = Long.parseLong(statFields(task.pid())[1]);
        List<String> argv = cmdline(ppid);
        assertTrue(argv.contains("-address") && argv.contains(containerd.address()),
                "the parent of task " + task + " is not one of our shims: " + argv);
        return ppid;
    }

    /** True while the process exists and has not exited (a zombie waiting for its reaper has exited). */
    static boolean running(long pid) {
        String[] f = statFields(pid);
        return f != null && !f[0].equals("Z") && !f[0].equals("X");
    }

    /** Start time (field 22 of stat), or -1 when the pid is gone: with the pid, a process's identity. */
    static long startTicks(long pid) {
        String[] f = statFields(pid);
        return f == null ? -1 : Long.parseLong(f[19]);
    }

    /** Fields 3.. of /proc/pid/stat (after the command name), or null when the pid is gone. */
    private static String[] statFields(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        } catch (IOException e) {
            return null;
        }
    }

    static List<String> cmdline(long pid) {
        try {
            String raw = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8);
            return raw.isEmpty() ? List.of() : List.of(raw.split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /** SIGKILL a shim we found through our own task, and wait until it has exited. */
    static void killShim(long pid) throws InterruptedException {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        assertTrue(Poll.until(Duration.ofSeconds(10), () -> !running(pid)), "shim " + pid + " survived SIGKILL");
    }

    /** Is anything mounted at or below dir? */
    static boolean mountedUnder(Path dir) {
        return !LeftoverSweep.mountsUnder(dir).isEmpty();
    }

    /** The socket a bundle names ({@link BundleAddress}). */
    static Path socketOf(Path bundle) {
        return BundleAddress.socketOf(bundle).orElseThrow(() -> new AssertionError("no address in " + bundle));
    }

    /** Every path under dir, for "changed nothing" checks. */
    static List<String> tree(Path dir) {
        try (var walk = Files.walk(dir)) {
            return walk.map(Path::toString).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
