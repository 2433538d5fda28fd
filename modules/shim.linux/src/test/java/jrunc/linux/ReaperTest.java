package jrunc.linux;

import static jrunc.linux.Children.OS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.Exit;
import jrunc.core.spi.Reaper;
import jrunc.core.spi.Spawn;
import jrunc.linux.ffi.Constants;
import jrunc.linux.ffi.Libc;
import org.junit.jupiter.api.Test;

class ReaperTest {

    @Test
    void exitCodeOfAStartedChild() throws Exception {
        var result = Children.sh("exit 3");
        assertEquals(new Exit(result.pid(), 3, result.exit().at()), result.exit());
    }

    @Test
    void childKilledBySignalExitsWith128PlusSignal() throws Exception {
        assertEquals(143, Children.sh("kill -TERM $$").exit().status());
        assertEquals(137, Children.kill(Children.sleeper()).status());
    }

    @Test
    void childThatExitsAtOnceIsNotMissed() throws Exception {
        List<Reaper.Child> children = new ArrayList<>();
        for (int i = 0; i < 20; i++) children.add(OS.reaper().start(Spawn.of(List.of("true"))));
        for (Reaper.Child child : children) {
            Exit exit = child.exit().get(10, TimeUnit.SECONDS);
            assertEquals(child.pid(), exit.pid());
            assertEquals(0, exit.status());
        }
    }

    @Test
    void everySubscriberSeesEveryExitUntilItUnsubscribes() throws Exception {
        Queue<Exit> first = new ConcurrentLinkedQueue<>(), second = new ConcurrentLinkedQueue<>();
        AutoCloseable one = OS.reaper().subscribe(first::add);
        try (AutoCloseable two = OS.reaper().subscribe(second::add)) {
            int started = Children.sh("exit 4").pid();
            // the future completes before subscribers run, and they run in subscription order
            assertTrue(Children.eventually(() -> second.stream().anyMatch(e -> e.pid() == started && e.status() == 4)));
            assertTrue(first.stream().anyMatch(e -> e.pid() == started && e.status() == 4), first.toString());

            one.close();
            int spawned = OS.spawn(Spawn.of(List.of("sh", "-c", "exit 5"))); // not through start: still reaped
            assertTrue(Children.eventually(() -> second.stream().anyMatch(e -> e.pid() == spawned && e.status() == 5)));
            assertFalse(first.stream().anyMatch(e -> e.pid() == spawned), first.toString());
        }
    }

    @Test
    void detachedChildIsReapedButItsExitIsNotPublished() throws Exception {
        Queue<Exit> seen = new ConcurrentLinkedQueue<>();
        OS.reaper(); // running, so it is what reaps the detached child
        try (AutoCloseable ignored = OS.reaper().subscribe(seen::add)) {
            int pid = OS.spawn(Spawn.of(List.of("true")).asDetached());
            assertTrue(Children.eventually(() -> !OS.isAlive(pid)), "reaped");
            int later = Children.sh("exit 0").pid(); // exits are published in reaping order: this one comes after
            assertTrue(Children.eventually(() -> seen.stream().anyMatch(e -> e.pid() == later)));
            assertFalse(seen.stream().anyMatch(e -> e.pid() == pid), seen.toString());
        }
    }

    @Test
    void orphanedGrandchildIsReapedByUsAsSubreaper() throws Exception {
        OS.becomeChildSubreaper(); // this test JVM is ours: being a subreaper is harmless here
        assertEquals(1, Libc.prctlGetInt(Constants.PR_GET_CHILD_SUBREAPER));
        Queue<Exit> seen = new ConcurrentLinkedQueue<>();
        try (AutoCloseable ignored = OS.reaper().subscribe(seen::add)) {
            var result = Children.sh("sleep 0.2 & echo $!; exit 0");
            int grandchild = Integer.parseInt(result.out().trim());
            assertTrue(Children.eventually(() -> seen.stream().anyMatch(e -> e.pid() == grandchild && e.status() == 0)),
                    "exit of orphan " + grandchild + " in " + seen);
        }
    }

    @Test
    void killOfAnExitedProcessIsEsrch() throws Exception {
        int pid = Children.sh("exit 0").pid();
        var e = assertThrows(ErrnoException.class, () -> OS.kill(pid, 0));
        assertEquals(ErrnoException.ESRCH, e.errno());
    }

    @Test
    void isAliveUntilReaped() throws Exception {
        Reaper.Child sleeper = Children.sleeper();
        assertTrue(OS.isAlive(sleeper.pid()));
        Children.kill(sleeper);
        assertFalse(OS.isAlive(sleeper.pid()));
    }
}
