package jrunc.core.runc;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import jrunc.core.fake.FakeOperatingSystem;
import jrunc.core.fake.FakeRunc;
import jrunc.proto.runc.Options;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** argv exactly as go-runc v1.0.0 builds it, and how failures read. */
class RuncTest {
    private static final List<String> GLOBAL = List.of("runc", "--root", "/run/containerd/runc/default",
            "--log", "/b/log.json", "--log-format", "json");

    @TempDir
    Path dir;
    FakeOperatingSystem os;
    FakeRunc script;

    @BeforeEach
    void setUp() {
        os = new FakeOperatingSystem();
        script = new FakeRunc(os);
        os.reaper.script(script);
    }

    private Runc runc(Path bundle) {
        return new Runc(os, "", Path.of("/run/containerd/runc/default"), bundle.resolve("log.json"), false, "", dir);
    }

    private static List<String> global(String... tail) {
        List<String> argv = new ArrayList<>(GLOBAL);
        argv.addAll(List.of(tail));
        return argv;
    }

    @Test
    void createArgv() {
        Path b = Path.of("/b");
        assertEquals(global("create", "--bundle", "/b", "--pid-file", "/b/init.pid", "c1"), runc(b).createCommand("c1", b, false, false, Optional.empty()));
        assertEquals(global("create", "--bundle", "/b", "--pid-file", "/b/init.pid", "--no-pivot", "--no-new-keyring", "c1"),
                runc(b).createCommand("c1", b, true, true, Optional.empty()));
    }

    @Test
    void aConsoleSocketGoesAfterThePidFileForCreateAndBeforeDetachForExec() {
        Path b = Path.of("/b");
        Optional<Path> socket = Optional.of(Path.of("/run/user/pty1/pty.sock"));
        assertEquals(global("create", "--bundle", "/b", "--pid-file", "/b/init.pid", "--console-socket",
                "/run/user/pty1/pty.sock", "--no-pivot", "c1"), runc(b).createCommand("c1", b, true, false, socket));
        assertEquals(global("exec", "--process", "/tmp/runc-process1", "--console-socket", "/run/user/pty1/pty.sock",
                "--detach", "--pid-file", "/b/e1.pid", "c1"),
                runc(b).execCommand("c1", Path.of("/tmp/runc-process1"), Path.of("/b/e1.pid"), socket));
    }

    @Test
    void execKillDeleteArgv() {
        Runc r = runc(Path.of("/b"));
        assertEquals(global("exec", "--process", "/tmp/runc-process1", "--detach", "--pid-file", "/b/e1.pid", "c1"),
                r.execCommand("c1", Path.of("/tmp/runc-process1"), Path.of("/b/e1.pid"), Optional.empty()));
        assertEquals(global("kill", "c1", "15"), r.killCommand("c1", 15, false));
        assertEquals(global("kill", "--all", "c1", "9"), r.killCommand("c1", 9, true));
        assertEquals(global("delete", "c1"), r.deleteCommand("c1", false));
        assertEquals(global("delete", "--force", "c1"), r.deleteCommand("c1", true));
    }

    @Test
    void criuComesBeforeSystemdCgroupAsInGoRunc() {
        Runc r = new Runc(os, "/opt/runc", Path.of("/r/ns"), Path.of("/b/log.json"), true, "/usr/sbin/criu", dir);
        assertEquals(List.of("/opt/runc", "--root", "/r/ns", "--log", "/b/log.json", "--log-format", "json",
                "--criu", "/usr/sbin/criu", "--systemd-cgroup", "start", "c1"), r.command("start", "c1"));
    }

    @Test
    void rootIsTheOptionsRootPlusTheNamespace() {
        Runc defaults = Runc.forContainer(os, RuncOptions.of(Options.getDefaultInstance()), "k8s.io", Path.of("/b"), dir);
        assertEquals(List.of("runc", "--root", "/run/containerd/runc/k8s.io", "--log", "/b/log.json", "--log-format", "json", "pause", "c1"),
                defaults.command("pause", "c1"));
        Runc custom = Runc.forContainer(os, RuncOptions.of(Options.newBuilder().setRoot("/alt").setBinaryName("crun").setSystemdCgroup(true).build()),
                "default", Path.of("/b"), dir);
        assertEquals(List.of("crun", "--root", "/alt/default", "--log", "/b/log.json", "--log-format", "json", "--systemd-cgroup", "pause", "c1"),
                custom.command("pause", "c1"));
    }

    @Test
    void failureQuotesTheLastErrorThisCallLogged() throws Exception {
        Files.writeString(dir.resolve("log.json"), "{\"level\":\"error\",\"msg\":\"an older failure\",\"time\":\"t\"}\n");
        script.failures.put("start", "cannot start a container that has stopped");
        RuncException e = assertThrows(RuncException.class, () -> runc(dir).start("c1"));
        assertEquals("cannot start a container that has stopped", e.getMessage());
    }

    @Test
    void failureWithoutALogQuotesRuncsOutput() {
        os.reaper.script((spawn, pid) -> {
            java.nio.channels.WritableByteChannel out = (java.nio.channels.WritableByteChannel) os.channel(spawn.fds().get(2));
            out.write(java.nio.ByteBuffer.wrap("flag provided but not defined: -bogus\n".getBytes()));
            os.reaper.exit(pid, 1);
        });
        RuncException e = assertThrows(RuncException.class, () -> runc(dir).pause("c1"));
        assertEquals("exit status 1: flag provided but not defined: -bogus", e.getMessage());
    }

    @Test
    void deleteOfAContainerThatDoesNotExistSucceeds() throws Exception {
        script.failures.put("delete", "container c1 does not exist");
        runc(dir).delete("c1", true);
        script.failures.put("delete", "permission denied");
        assertThrows(RuncException.class, () -> runc(dir).delete("c1", true));
    }

    @Test
    void psParsesTheJsonPidList() throws Exception {
        script.psPids = List.of(12, 34);
        assertEquals(List.of(12, 34), runc(dir).ps("c1"));
        assertEquals(List.of(), PidList.parse("null".getBytes()));
    }

    @Test
    void execSpecGoesThroughATempFileThatIsRemoved() throws Exception {
        runc(dir).exec("c1", "{\"args\":[\"true\"]}".getBytes(), dir.resolve("e1.pid"), java.util.Map.of(), Optional.empty());
        assertEquals(List.of("{\"args\":[\"true\"]}"), script.execSpecs);
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith("runc-process")));
        }
    }

    @Test
    void aVirtualCallerDoesNotReadRuncsOutputItself() throws Exception {
        script.psPids = List.of(12, 34);
        AtomicReference<Object> result = new AtomicReference<>();
        Thread caller = Thread.ofVirtual().start(() -> {
            try {
                result.set(runc(dir).ps("c1"));
            } catch (RuncException e) {
                result.set(e);
            }
        });
        caller.join();
        assertEquals(List.of(12, 34), result.get());
        assertEquals(0, os.readsOnVirtualThreads.get(), "runc's output was read on the virtual RPC thread");
    }

    @Test
    void noDescriptorLeaksAfterACommand() throws Exception {
        runc(dir).start("c1");
        script.psPids = List.of(1);
        runc(dir).ps("c1");
        runc(dir).update("c1", "{}".getBytes());
        assertEquals(0, os.openFds());
    }

    @Test
    void aCommandThatHangsIsKilledAtItsLimitAndTheErrorSaysSo() {
        os.reaper.script((spawn, pid) -> {}); // runc never exits by itself
        Runc bounded = runc(dir).withLimit(java.time.Duration.ofMillis(200));
        RuncException e = assertThrows(RuncException.class, () -> bounded.start("c1"));
        assertEquals("runc start c1 did not finish within 0.2 s: killed it", e.getMessage());
        assertEquals(jrunc.core.spi.Signals.SIGKILL, os.signals.getLast().signal());
    }

    @Test
    void aCallersDeadlineKillsRuncBeforeItSoTheCallerHearsWhy() {
        os.reaper.script((spawn, pid) -> {});
        long deadline = System.nanoTime() + java.time.Duration.ofMillis(800).toNanos();
        RuncException e = assertThrows(RuncException.class, () -> runc(dir).within(deadline).kill("c1", 9, false));
        assertTrue(e.getMessage().startsWith("runc kill c1 did not finish within 0.6 s (the caller's deadline): killed it"),
                e.getMessage());
        assertTrue(System.nanoTime() < deadline, "the error came before the caller's deadline");
    }

    @Test
    void aCreateWithATerminalQuotesWhatRuncPrinted() {
        os.reaper.script((spawn, pid) -> {
            java.nio.channels.WritableByteChannel err = (java.nio.channels.WritableByteChannel) os.channel(spawn.fds().get(2));
            err.write(java.nio.ByteBuffer.wrap("fake-runc: cannot frobnicate\n".getBytes()));
            os.reaper.exit(pid, 1);
        });
        RuncException e = assertThrows(RuncException.class, () -> runc(dir).create("c1", dir, false, false,
                java.util.Map.of(), Optional.of(dir.resolve("pty.sock"))));
        assertEquals("exit status 1: fake-runc: cannot frobnicate", e.getMessage());
    }

    @Test
    void aCreateWithoutATerminalGivesRuncTheContainersStdioAndNeverAPipeOfOurs() throws Exception {
        // the container inherits runc's stdio: a pipe read here would stay open for the container's whole life
        runc(dir).create("c1", dir, false, false, java.util.Map.of(), Optional.empty());
        assertEquals(java.util.Map.of(), os.reaper.started.getLast().fds(), "no stdio: /dev/null for runc and the container");
        int[] out = os.pipe();
        runc(dir).create("c2", dir, false, false, java.util.Map.of(1, out[1], 2, out[1]), Optional.empty());
        assertEquals(java.util.Map.of(1, out[1], 2, out[1]), os.reaper.started.getLast().fds());
        os.close(out[0]);
        os.close(out[1]);
    }

    @Test
    void theLoggedErrorAndWhatRuncPrintedBothReachTheMessageWhenTheyDiffer() {
        os.reaper.script((spawn, pid) -> {
            Files.writeString(dir.resolve("log.json"), "{\"level\":\"error\",\"msg\":\"container_linux.go:380: starting container process caused: exec: \\\"nope\\\": executable file not found\"}\n");
            java.nio.channels.WritableByteChannel err = (java.nio.channels.WritableByteChannel) os.channel(spawn.fds().get(2));
            err.write(java.nio.ByteBuffer.wrap("a hook said: disk quota exceeded\n".getBytes()));
            os.reaper.exit(pid, 1);
        });
        RuncException e = assertThrows(RuncException.class, () -> runc(dir).start("c1"));
        assertEquals("container_linux.go:380: starting container process caused: exec: \"nope\": executable file not found"
                + ": a hook said: disk quota exceeded", e.getMessage());
    }

    @Test
    void checkpointAndRestoreArgvAreGoRuncs() {
        Runc r = runc(Path.of("/b"));
        CriuOptions all = new CriuOptions("/img", "/work", "", true, true, true, true, List.of("network", "ipc"));
        assertEquals(global("checkpoint", "--image-path", "/img", "--work-path", "/work", "--tcp-established",
                "--ext-unix-sk", "--shell-job", "--file-locks", "--empty-ns", "network", "--empty-ns", "ipc",
                "--leave-running", "c1"), r.checkpointCommand("c1", all, true));
        assertEquals(global("checkpoint", "--image-path", "/img", "--work-path", "/work", "c1"),
                r.checkpointCommand("c1", new CriuOptions("/img", "/work", "", false, false, false, false, List.of()), false));
        assertEquals(global("restore", "--image-path", "/img", "--work-path", "/cw", "--parent-path", "/parent",
                "--detach", "--pid-file", "/b/init.pid", "--console-socket", "/s/pty.sock", "--no-pivot", "-no-subreaper",
                "--bundle", "/b", "c1"), r.restoreCommand("c1", Path.of("/b"), CriuOptions.restoreFrom("/img", "/cw", "/parent"),
                true, Optional.of(Path.of("/s/pty.sock"))));
    }
}
