package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.SpareFaults.Step;
import jrunc.e2e.TaskLifecycleIT.Residue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crashes during the hand-off of a task to a warm spare, each at its step ({@code SpareFaults}, armed through the
 * file {@link PrivateContainerd#armSpareFault} writes): the spare SIGKILLed before it accepts, once it holds the
 * listener, or once it is the task's daemon but has not said so; {@code start} SIGKILLed before GO or after it.
 * Whatever happens, the container runs (start spawns its daemon) or its start fails and a retry works; never two
 * processes on one socket, no daemon serving nobody, nothing left. And a spare whose containerd is gone ends.
 */
@ContainerdTest(shim = Shim.JRUNC)
class SpareHandoffCrashJruncIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private Ctr ctr;

    @AfterEach
    void disarmAndEndSpares() throws InterruptedException {
        if (ctr == null) return;
        ctr.containerd().armSpareFault(null);
        if (ctr.containerd().isRunning()) WarmSpares.endAll(ctr);
    }

    @Test
    void aSpareKilledBeforeItAcceptsLeavesStartToSpawnTheDaemon(Ctr ctr) throws Exception {
        spareKilledAt(ctr, Step.SPARE_BEFORE_ACCEPT);
    }

    @Test
    void aSpareKilledHoldingTheListenerLeavesStartToSpawnTheDaemon(Ctr ctr) throws Exception {
        spareKilledAt(ctr, Step.SPARE_AFTER_FD);
    }

    @Test
    void aSpareKilledOnceItIsTheDaemonButBeforeItSaysSoLeavesStartToSpawnTheDaemon(Ctr ctr) throws Exception {
        spareKilledAt(ctr, Step.SPARE_BEFORE_ANSWER);
    }

    private void spareKilledAt(Ctr ctr, Step step) throws Exception {
        this.ctr = ctr;
        Path config = WarmSpares.config(dir, 600);
        WarmSpares.run(ctr, config, "f-0");
        long spare = WarmSpares.awaitOne(ctr);
        ctr.containerd().armSpareFault(step);
        WarmSpares.run(ctr, config, "f-1");
        ctr.containerd().armSpareFault(null);
        WarmSpares.awaitGone(spare, "the spare killed at " + step);

        Set<Long> serving = WarmSpares.listeners(Residue.socketOf(ctr, "f-1"));
        assertEquals(1, serving.size(), "processes on f-1's socket: " + serving);
        assertFalse(serving.contains(spare));
        CtrResult exec = ctr.ctr("task", "exec", "--exec-id", "x", "f-1", "echo", "served");
        assertEquals("served", exec.stdout().strip(), exec::describe);

        // the next start finds no live spare (a dead one's socket refuses), spawns, and boots a new spare
        WarmSpares.run(ctr, config, "f-2");
        long next = WarmSpares.awaitOne(ctr);
        assertNotEquals(spare, next);
        assertEquals(List.of(), WarmSpares.stale(ctr.containerd()), "a dead spare's rendezvous socket");
        removeAndCheck(List.of("f-0", "f-1", "f-2"));
    }

    @Test
    void aStartKilledBeforeGoFailsCleanlyAndItsRetryIsServedByTheSameSpare(Ctr ctr) throws Exception {
        this.ctr = ctr;
        Path config = WarmSpares.config(dir, 600);
        WarmSpares.run(ctr, config, "b-0");
        long spare = WarmSpares.awaitOne(ctr);
        ctr.containerd().armSpareFault(Step.START_BEFORE_GO);
        CtrResult failed = ctr.run(List.of("-d", "--runtime-config-path", config.toString()), "b-1", "sleep", "600");
        ctr.containerd().armSpareFault(null);
        assertNotEquals(0, failed.exitCode(), failed::describe);

        Path socket = taskSocket(ctr, "b-1");
        assertTrue(Poll.until(TIMEOUT, () -> !Files.exists(socket)), "the dead start's socket, let go by the spare");
        assertEquals(spare, WarmSpares.awaitOne(ctr), "the spare is still the spare");
        assertTrue(Residue.cmdline(spare).contains("-spare"), "not adopted: " + Residue.cmdline(spare));

        ctr.ctr("container", "rm", "b-1"); // what ctr run left, if anything
        WarmSpares.run(ctr, config, "b-1");
        assertEquals(Set.of(spare), WarmSpares.listeners(Residue.socketOf(ctr, "b-1")), "the retry, served by the spare");
        removeAndCheck(List.of("b-0", "b-1"));
    }

    @Test
    void aStartKilledAfterGoFailsCleanlyTheSpareEndsAndTheRetryWorks(Ctr ctr) throws Exception {
        this.ctr = ctr;
        Path config = WarmSpares.config(dir, 600);
        WarmSpares.run(ctr, config, "a-0");
        long spare = WarmSpares.awaitOne(ctr);
        ctr.containerd().armSpareFault(Step.START_AFTER_GO);
        CtrResult failed = ctr.run(List.of("-d", "--runtime-config-path", config.toString()), "a-1", "sleep", "600");
        ctr.containerd().armSpareFault(null);
        assertNotEquals(0, failed.exitCode(), failed::describe);

        // it became a-1's daemon, but containerd never had the address: no daemon may stay for nobody
        WarmSpares.awaitGone(spare, "the spare whose start died after GO");
        Path socket = taskSocket(ctr, "a-1");
        assertTrue(Poll.until(TIMEOUT, () -> !Files.exists(socket)), "a-1's socket after the spare let it go");
        assertEquals(List.of(), Residue.shimDaemons(ctr).stream()
                .filter(pid -> Residue.cmdline(pid).contains("a-1")).toList(), "a daemon for a-1");

        ctr.ctr("container", "rm", "a-1");
        WarmSpares.run(ctr, config, "a-1");
        assertEquals(1, WarmSpares.listeners(Residue.socketOf(ctr, "a-1")).size());
        WarmSpares.awaitOne(ctr);
        removeAndCheck(List.of("a-0", "a-1"));
    }

    @Test
    void aSpareEndsByItselfOnceItsContainerdIsGone(Ctr ctr) throws Exception {
        this.ctr = ctr;
        WarmSpares.run(ctr, WarmSpares.config(dir, 600), "z-0");
        long spare = WarmSpares.awaitOne(ctr);
        ctr.containerd().kill9();
        try {
            WarmSpares.awaitGone(spare, "a spare whose containerd was SIGKILLed");
            assertEquals(List.of(), WarmSpares.rendezvousSockets(ctr.containerd()), "its rendezvous socket");
        } finally {
            ctr.containerd().restart();
        }
        assertEquals("RUNNING", ctr.awaitTaskStatus("z-0", "RUNNING", TIMEOUT).status(), "the task, served all along");
        removeAndCheck(List.of("z-0"));
    }

    /** The socket a task of its own group hashes to (its bundle may be gone). */
    private static Path taskSocket(Ctr ctr, String id) {
        return WarmSpares.SOCKET_DIR.resolve(SocketAddress.hash(ctr.containerd().address(), ctr.namespace(), id));
    }

    private void removeAndCheck(List<String> ids) throws InterruptedException {
        List<Path> sockets = ids.stream().map(id -> taskSocket(ctr, id)).toList();
        for (String id : ids) {
            ctr.ctr("task", "kill", "-s", "KILL", id);
            ctr.awaitTaskStatus(id, "STOPPED", TIMEOUT);
            ctr.ctr("task", "rm", id).requireSuccess();
            ctr.ctr("container", "rm", id).requireSuccess();
        }
        WarmSpares.endAll(ctr);
        NoLeftovers.assertNothingLeft(ctr, ids, sockets);
    }
}
