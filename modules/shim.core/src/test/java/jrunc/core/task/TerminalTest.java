package jrunc.core.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jrunc.core.fake.FakeOperatingSystem;
import jrunc.core.fake.FakeRunc;
import jrunc.proto.task.CreateTaskRequest;
import jrunc.proto.task.DeleteRequest;
import jrunc.proto.task.ExecProcessRequest;
import jrunc.proto.task.ResizePtyRequest;
import jrunc.proto.task.StartRequest;
import jrunc.proto.task.StateRequest;
import org.junit.jupiter.api.Test;

/** Create and Exec with {@code terminal=true} against the fake runc, which sends a fake pty over the console socket. */
class TerminalTest extends TaskServiceTestCase {
    private CreateTaskRequest.Builder terminalCreate(Path stdout) {
        return CreateTaskRequest.newBuilder().setId("c1").setBundle(bundle.toString()).setTerminal(true)
                .setStdout(stdout.toString());
    }

    @Test
    void createHandsRuncAConsoleSocketAndCopiesThePtyToStdout() throws Exception {
        Path out = Files.writeString(dir.resolve("stdout"), "");
        runc.processStdout = "/dev/pts/0\r\n";
        service.create(CALL, terminalCreate(out).build());

        List<String> create = runc.commands().stream().filter(a -> FakeRunc.commandOf(a).equals("create")).findFirst().orElseThrow();
        Path socket = Path.of(create.get(create.indexOf("--console-socket") + 1));
        assertEquals(tmp, socket.getParent().getParent(), "socket in <tmpdir>/pty<random>/pty.sock");
        assertTrue(socket.getParent().getFileName().toString().startsWith("pty"));
        awaitContent(out, "/dev/pts/0\r\n");
        assertFalse(Files.exists(socket.getParent()), "the socket's directory is removed once the master is received");
        assertTrue(service.state(CALL, StateRequest.newBuilder().setId("c1").build()).getTerminal());
    }

    @Test
    void resizePtySetsTheWindowSizeOfTheProcessTerminal() throws Exception {
        runc.keepTerminalOpen = true;
        service.create(CALL, terminalCreate(Files.writeString(dir.resolve("stdout"), "")).build());
        service.resizePty(CALL, ResizePtyRequest.newBuilder().setId("c1").setWidth(132).setHeight(43).build());
        FakeOperatingSystem.FakePty pty = runc.ptys.getFirst();
        assertEquals(132, pty.width);
        assertEquals(43, pty.height);
    }

    @Test
    void resizePtyOfAProcessWithoutATerminalDoesNothing() throws Exception {
        service.create(CALL, CreateTaskRequest.newBuilder().setId("c1").setBundle(bundle.toString()).build());
        service.resizePty(CALL, ResizePtyRequest.newBuilder().setId("c1").setWidth(80).setHeight(24).build());
        assertTrue(os.resizes.isEmpty());
    }

    @Test
    void execWithATerminalGetsStdinThroughTheMasterAndItsOutputBack() throws Exception {
        service.create(CALL, CreateTaskRequest.newBuilder().setId("c1").setBundle(bundle.toString()).build());
        service.start(CALL, StartRequest.newBuilder().setId("c1").build());
        Path in = Files.writeString(dir.resolve("exec-stdin"), "ls\n");
        Path out = Files.writeString(dir.resolve("exec-stdout"), "");
        runc.keepTerminalOpen = true;
        runc.processStdout = "$ ";
        service.exec(CALL, ExecProcessRequest.newBuilder().setId("c1").setExecId("e1").setSpec(PROCESS_SPEC).setTerminal(true)
                .setStdin(in.toString()).setStdout(out.toString()).build());
        service.start(CALL, StartRequest.newBuilder().setId("c1").setExecId("e1").build());

        List<String> exec = runc.commands().stream().filter(a -> FakeRunc.commandOf(a).equals("exec")).findFirst().orElseThrow();
        assertTrue(exec.indexOf("--console-socket") < exec.indexOf("--detach"), exec.toString());
        FakeOperatingSystem.FakePty pty = runc.ptys.getFirst();
        assertEquals("ls\n", pty.processReads(3));
        awaitContent(out, "$ ");
        service.resizePty(CALL, ResizePtyRequest.newBuilder().setId("c1").setExecId("e1").setWidth(100).setHeight(30).build());
        assertEquals(100, pty.width);
    }

    @Test
    void deleteAfterExitReleasesTheMasterAndEveryCopy() throws Exception {
        int before = os.openFds();
        Path out = Files.writeString(dir.resolve("stdout"), "");
        runc.processStdout = "bye\r\n";
        int pid = service.create(CALL, terminalCreate(out).build()).getPid();
        service.start(CALL, StartRequest.newBuilder().setId("c1").build());
        awaitContent(out, "bye\r\n");
        os.reaper.exit(pid, 0);
        awaitStopped();
        service.delete(CALL, DeleteRequest.newBuilder().setId("c1").build());
        assertEquals(before, os.openFds(), "master and its dups closed");
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "no console socket left behind");
        }
    }

    private void awaitStopped() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (service.state(CALL, StateRequest.newBuilder().setId("c1").build()).getStatus() != jrunc.proto.types.Status.STOPPED) {
            if (System.nanoTime() > deadline) fail("init never stopped");
            Thread.sleep(10);
        }
    }

    private static void awaitContent(Path file, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!Files.readString(file).equals(expected)) {
            if (System.nanoTime() > deadline) fail(file + " holds \"" + Files.readString(file) + "\"");
            Thread.sleep(10);
        }
    }
}
