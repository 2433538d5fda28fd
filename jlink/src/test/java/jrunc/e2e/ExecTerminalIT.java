package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jrunc.core.ttrpc.TtrpcClient;
import jrunc.proto.task.DeleteRequest;
import jrunc.proto.task.ExecProcessRequest;
import jrunc.proto.task.ResizePtyRequest;
import jrunc.proto.task.StartRequest;
import jrunc.proto.task.WaitRequest;
import jrunc.proto.task.WaitResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Execs with a terminal asked for in ways {@code ctr} never asks: containerd's Go client may send {@code
 * terminal=true} with a process spec that says {@code terminal=false}, and may send ResizePty between Exec and
 * Start. The test speaks to the task's shim on its socket, as containerd does, for a task {@code ctr} made. One
 * subclass per {@link Shim}; Go's shim is the reference for what it does too.
 */
abstract class ExecTerminalIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir Path dir;

    @Test
    void aTerminalExecRunsOnAPtyEvenWhenItsSpecSaysNoTerminal(Ctr ctr) throws Exception {
        String out = execWithTerminal(ctr, "tty", null);
        assertTrue(out.matches("(?s).*/dev/pts/\\d+.*"), "no pty: " + out);
    }

    /**
     * Runs {@code command} in a new exec of a fresh sleeping task, with {@code terminal=true} and a spec without one,
     * after a ResizePty of {@code size} (width, height) when given; returns what the terminal showed.
     */
    String execWithTerminal(Ctr ctr, String command, int[] size) throws Exception {
        ctr.runDetached("tty-host", "sleep", "600").requireSuccess();
        ctr.awaitTaskStatus("tty-host", "RUNNING", TIMEOUT);
        Path stdout = dir.resolve("stdout");
        RuncFixture.run("mkfifo", stdout.toString());
        String spec = "{\"args\":[\"sh\",\"-c\",\"" + command + "\"],\"cwd\":\"/\",\"env\":[\"PATH=/bin:/usr/bin\"],"
                + "\"user\":{\"uid\":0,\"gid\":0},\"terminal\":false}";
        Map<String, String> md = Map.of("containerd-namespace-ttrpc", ctr.namespace());
        String task = ctr.containerd().release().taskService(ctr.shim());
        try (TtrpcClient shim = new TtrpcClient(TaskLifecycleIT.Residue.socketOf(ctr, "tty-host"))) {
            shim.call(task, "Exec", ExecProcessRequest.newBuilder().setId("tty-host").setExecId("tty-e1").setTerminal(true)
                    .setStdout(stdout.toString())
                    .setSpec(Any.newBuilder().setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/Process")
                            .setValue(ByteString.copyFromUtf8(spec)))
                    .build().toByteArray(), md, TIMEOUT);
            if (size != null) {
                shim.call(task, "ResizePty", ResizePtyRequest.newBuilder().setId("tty-host").setExecId("tty-e1")
                        .setWidth(size[0]).setHeight(size[1]).build().toByteArray(), md, TIMEOUT);
            }
            CompletableFuture<String> shown = CompletableFuture.supplyAsync(() -> readAll(stdout));
            shim.call(task, "Start", StartRequest.newBuilder().setId("tty-host").setExecId("tty-e1").build().toByteArray(),
                    md, TIMEOUT);
            WaitResponse exit = WaitResponse.parseFrom(shim.call(task, "Wait", WaitRequest.newBuilder().setId("tty-host")
                    .setExecId("tty-e1").build().toByteArray(), md, TIMEOUT));
            String out = shown.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(0, exit.getExitStatus(), "the exec failed: " + out);
            shim.call(task, "Delete", DeleteRequest.newBuilder().setId("tty-host").setExecId("tty-e1").build().toByteArray(),
                    md, TIMEOUT);
            return out;
        }
    }

    /** Everything written to the FIFO until its last writer closes it. */
    private static String readAll(Path fifo) {
        try (FileChannel in = FileChannel.open(fifo, StandardOpenOption.READ)) {
            return new String(Channels.newInputStream(in).readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
