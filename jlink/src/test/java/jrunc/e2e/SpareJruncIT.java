package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import jrunc.core.doctor.ShimArgv;
import jrunc.e2e.TaskLifecycleIT.Residue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The warm spare ({@code [jrunc] spare = true} in the handler's ConfigPath file, {@code ctr run
 * --runtime-config-path}): a {@code start} that needs a daemon hands its bound listener to the spare booted before,
 * which becomes that task's daemon exactly as a spawned one would be, and the next spare is booted. Without the
 * setting there is no spare. A spare ends by itself when idle; a killed one's socket is replaced; shim-doctor
 * leaves a live spare alone. The crashes of the hand-off itself are {@link SpareHandoffCrashJruncIT}'s.
 */
@ContainerdTest(shim = Shim.JRUNC)
class SpareJruncIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private Ctr ctr;

    @AfterEach
    void endSpares() throws InterruptedException {
        if (ctr != null) WarmSpares.endAll(ctr);
    }

    @Test
    void aStartIsServedByTheSpareBootedBeforeItAndTheNextSpareIsBooted(Ctr ctr) throws Exception {
        this.ctr = ctr;
        Path config = WarmSpares.config(dir, 600);
        WarmSpares.run(ctr, config, "w-1"); // no spare yet: spawned as without one, and a spare is booted
        long spawned = Residue.shimDaemons(ctr).getFirst();
        long spare = WarmSpares.awaitOne(ctr);
        List<String> ids = List.of("w-1", "w-2");
        try (BackgroundCtr events = ctr.events()) {
            WarmSpares.run(ctr, config, "w-2");
            Path socket = Residue.socketOf(ctr, "w-2");
            assertEquals(Set.of(spare), WarmSpares.listeners(socket), "who holds w-2's socket");

            // what ps and shim-doctor see: the daemon start would have spawned
            List<String> argv = Residue.cmdline(spare);
            assertFalse(argv.contains("-spare"), argv::toString);
            assertEquals(new ShimArgv(ctr.namespace(), "w-2", ctr.containerd().address()), ShimArgv.parse(argv));
            assertEquals(ctr.bundle("w-2").toRealPath(), Files.readSymbolicLink(Path.of("/proc", "" + spare, "cwd")));
            assertEquals(procFile(spawned, "oom_score_adj"), procFile(spare, "oom_score_adj"));
            assertEquals(procFile(spawned, "cgroup"), procFile(spare, "cgroup"));
            assertEquals(environ(spawned), environ(spare), "the environment of a daemon start spawns");
            assertEquals(Set.of(spawned, spare), new HashSet<>(Residue.shimDaemons(ctr)));

            long next = WarmSpares.awaitOne(ctr);
            assertNotEquals(spare, next, "the spent spare is replaced");

            CtrResult exec = ctr.ctr("task", "exec", "--exec-id", "x1", "w-2", "sh", "-c", "echo out; echo err >&2; exit 3");
            assertEquals("out", exec.stdout().strip(), exec::describe);
            assertTrue(exec.stderr().contains("err"), exec::describe);
            assertEquals(3, exec.exitCode(), exec::describe);
            ctr.ctr("task", "kill", "-s", "KILL", "w-2").requireSuccess();
            events.awaitLine(l -> l.contains("/tasks/exit") && l.contains("\"w-2\""), TIMEOUT);
            ctr.awaitTaskStatus("w-2", "STOPPED", TIMEOUT);
        }
        remove(List.of("w-2", "w-1"));
        WarmSpares.awaitGone(spare, "the daemon that served w-2, after Shutdown");
        Residue.awaitNothingLeft(ctr, ids, List.of());
    }

    @Test
    void withoutTheSettingNoSpareIsEverBooted(Ctr ctr) throws IOException {
        this.ctr = ctr;
        Path grouping = Files.writeString(dir.resolve("pod.toml"), "[jrunc]\ngrouping = \"pod\"\n");
        WarmSpares.run(ctr, grouping, "n-1");
        ctr.runDetached("n-2", "sleep", "600").requireSuccess();
        ctr.awaitTaskStatus("n-2", "RUNNING", TIMEOUT);
        // a spare is spawned before start exits: once ctr run has returned, one would be there
        assertEquals(List.of(), WarmSpares.of(ctr));
        assertEquals(List.of(), WarmSpares.rendezvousSockets(ctr.containerd()));
        remove(List.of("n-1", "n-2"));
    }

    @Test
    void anIdleSpareExitsByItselfTouchingNoTaskAndRemovesItsSocket(Ctr ctr) throws Exception {
        this.ctr = ctr;
        long init = WarmSpares.run(ctr, WarmSpares.config(dir, 2), "i-1");
        long spare = WarmSpares.awaitOne(ctr);
        WarmSpares.awaitGone(spare, "a spare idle for 2 s");
        assertEquals(List.of(), WarmSpares.rendezvousSockets(ctr.containerd()), "its rendezvous socket");
        assertEquals("RUNNING", ctr.task("i-1").orElseThrow().status());
        assertEquals(init, ctr.task("i-1").orElseThrow().pid());
        remove(List.of("i-1"));
    }

    @Test
    void aKilledSparesSocketIsReplacedAndTheStartMeanwhileSpawnsItsDaemon(Ctr ctr) throws Exception {
        this.ctr = ctr;
        Path config = WarmSpares.config(dir, 600);
        WarmSpares.run(ctr, config, "k-1");
        long spare = WarmSpares.awaitOne(ctr);
        Path rendezvous = WarmSpares.rendezvousSockets(ctr.containerd()).getFirst();
        ProcessHandle.of(spare).orElseThrow().destroyForcibly();
        WarmSpares.awaitGone(spare, "the SIGKILLed spare");
        assertEquals(List.of(rendezvous), WarmSpares.stale(ctr.containerd()), "the killed spare's socket stays, refusing");

        WarmSpares.run(ctr, config, "k-2");
        Set<Long> serving = WarmSpares.listeners(Residue.socketOf(ctr, "k-2"));
        assertEquals(1, serving.size(), "k-2's socket is served by one process: " + serving);
        long next = WarmSpares.awaitOne(ctr);
        assertEquals(List.of(rendezvous), WarmSpares.rendezvousSockets(ctr.containerd()), "the same name, bound afresh");
        assertTrue(WarmSpares.listeners(rendezvous).contains(next));
        remove(List.of("k-1", "k-2"));
    }

    @Test
    void shimDoctorLeavesALiveSpareAloneAndRemovesOnlyADeadOnesSocket(Ctr ctr) throws Exception {
        this.ctr = ctr;
        WarmSpares.run(ctr, WarmSpares.config(dir, 600), "d-1");
        long spare = WarmSpares.awaitOne(ctr);
        Path rendezvous = WarmSpares.rendezvousSockets(ctr.containerd()).getFirst();

        CtrResult scan = doctor(ctr, "scan", "--json");
        assertEquals(0, scan.exitCode(), scan::describe);
        assertFalse(scan.stdout().contains(rendezvous.getFileName().toString()), scan::describe);
        CtrResult clean = doctor(ctr, "clean", "--yes", "--json");
        assertEquals(0, clean.exitCode(), clean::describe);
        assertTrue(ProcessHandle.of(spare).map(ProcessHandle::isAlive).orElse(false), "the spare after clean --yes");
        assertTrue(WarmSpares.listeners(rendezvous).contains(spare), "the spare still listens");

        ProcessHandle.of(spare).orElseThrow().destroyForcibly();
        WarmSpares.awaitGone(spare, "the SIGKILLed spare");
        CtrResult dead = doctor(ctr, "show", rendezvous.getFileName().toString(), "--json");
        assertEquals(1, dead.exitCode(), dead::describe);
        assertTrue(dead.stdout().contains("orphaned-socket") && dead.stdout().contains("warm spare"), dead::describe);
        CtrResult removed = doctor(ctr, "clean", "--yes", "--json", rendezvous.getFileName().toString());
        assertEquals(0, removed.exitCode(), removed::describe);
        assertFalse(Files.exists(rendezvous), "the dead spare's socket after clean --yes");
        remove(List.of("d-1"));
    }

    @Test
    void aDaemonThatTookOverFromASpareKilledUnderItsTasksEndsThemAllAndLeavesNothing(Ctr ctr) throws Exception {
        this.ctr = ctr;
        WarmSpares.run(ctr, WarmSpares.config(dir, 600), "g-pre");
        long spare = WarmSpares.awaitOne(ctr);
        // the same spare, for a handler that groups the namespace: it becomes the group's daemon
        Path dense = Files.writeString(dir.resolve("dense.toml"), "[jrunc]\ngrouping = \"namespace\"\nspare = true\n");
        List<String> ids = List.of("g-1", "g-2", "g-3", "g-4");
        List<Long> inits = new ArrayList<>();
        for (String id : ids) inits.add(WarmSpares.run(ctr, dense, id));
        Path socket = Residue.socketOf(ctr, "g-1");
        assertEquals(Set.of(spare), WarmSpares.listeners(socket), "the group's daemon is the spare");
        WarmSpares.awaitOne(ctr);

        try (BackgroundCtr events = ctr.events()) {
            ProcessHandle.of(spare).orElseThrow().destroyForcibly();
            assertTrue(Poll.until(Duration.ofSeconds(120), () -> ids.stream().allMatch(id -> ctr.task(id).isEmpty())),
                    "containerd still lists tasks of the killed daemon: " + ctr.ctr("task", "ls").stdout());
            for (String id : ids) events.awaitLine(l -> l.contains("/tasks/exit") && l.contains("\"" + id + "\""), TIMEOUT);
        }
        for (long init : inits) WarmSpares.awaitGone(init, "an init of the killed daemon's tasks");
        for (String id : ids) ctr.ctr("container", "rm", id).requireSuccess();
        assertEquals("RUNNING", ctr.task("g-pre").orElseThrow().status(), "a task of another daemon");
        remove(List.of("g-pre"));
        List<String> all = new ArrayList<>(ids);
        all.add("g-pre");
        NoLeftovers.assertNothingLeft(ctr, all, List.of(socket));
    }

    private void remove(List<String> ids) {
        for (String id : ids) {
            if (ctr.task(id).isPresent()) {
                ctr.ctr("task", "kill", "-s", "KILL", id);
                ctr.awaitTaskStatus(id, "STOPPED", TIMEOUT);
                ctr.ctr("task", "rm", id).requireSuccess();
            }
            ctr.ctr("container", "rm", id).requireSuccess();
        }
    }

    /** shim-doctor on this containerd's state, for every namespace (a spare's socket belongs to none). */
    static CtrResult doctor(Ctr ctr, String... args) {
        List<String> argv = new ArrayList<>(List.of(Shim.image().resolve("bin/shim-doctor").toString()));
        argv.addAll(List.of(args));
        argv.addAll(List.of("--state", ctr.containerd().stateDir().toString(), "--containerd-address",
                ctr.containerd().address(), "--lock", ctr.containerd().dir().resolve("shim-doctor.lock").toString()));
        return Commands.run(argv, Duration.ofSeconds(60));
    }

    private static String procFile(long pid, String name) throws IOException {
        return Files.readString(Path.of("/proc", Long.toString(pid), name));
    }

    private static Set<String> environ(long pid) throws IOException {
        return Set.of(new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")),
                StandardCharsets.UTF_8).split("\0"));
    }
}
