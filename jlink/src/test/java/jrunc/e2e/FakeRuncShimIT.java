package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import jrunc.core.ttrpc.Code;
import jrunc.core.ttrpc.TtrpcException;
import jrunc.proto.runc.CheckpointOptions;
import jrunc.proto.runc.Options;
import jrunc.proto.task.CheckpointTaskRequest;
import jrunc.proto.task.CreateTaskRequest;
import jrunc.proto.task.CreateTaskResponse;
import jrunc.proto.task.DeleteRequest;
import jrunc.proto.task.StartRequest;
import jrunc.proto.task.StartResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our shim's daemon driving a runc of the test's own (a shell script named as {@code BinaryName} in the runc
 * options), for what a real runc will not do on cue: hang, fail in its own words, and take checkpoint and restore
 * flags on a kernel where criu cannot dump. The test plays containerd on the shim's socket.
 */
class FakeRuncShimIT {
    private static final String CONFIG = "{\"ociVersion\":\"1.0.2\",\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]}}";

    @TempDir Path dir;

    /**
     * A runc that appends its argv to {@code argv.log} and then does {@code body} (sh, with the runc command in
     * {@code $cmd}, the container id in {@code $id} and the pid file in {@code $pidfile}).
     */
    private Path fakeRunc(String body) throws Exception {
        Path script = dir.resolve("fake-runc");
        Files.writeString(script, """
                #!/bin/sh
                echo "$*" >> %s
                cmd=""; id=""; pidfile=""; prev=""
                for a in "$@"; do
                  case "$prev" in --root|--log|--log-format|--criu|--bundle|--image-path|--work-path|--parent-path|--console-socket|--process) prev=""; continue;; esac
                  case "$prev" in --pid-file) pidfile="$a"; prev=""; continue;; esac
                  case "$a" in -*) prev="$a";; *) if [ -z "$cmd" ]; then cmd="$a"; else id="$a"; fi; prev="";; esac
                done
                %s
                """.formatted(dir.resolve("argv.log"), body));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    private static CreateTaskRequest create(ShimDaemon shim, Path runc) {
        return CreateTaskRequest.newBuilder().setId("c1").setBundle(shim.bundle.toString())
                .setOptions(com.google.protobuf.Any.newBuilder().setTypeUrl("containerd.runc.v1.Options")
                        .setValue(Options.newBuilder().setBinaryName(runc.toString()).build().toByteString()))
                .build();
    }

    private List<String> runcCalls() throws Exception {
        return Files.readAllLines(dir.resolve("argv.log"));
    }

    @Test
    void aHungRuncIsKilledBeforeTheCallersDeadlineAndTheErrorSaysSo() throws Exception {
        Path hungPid = dir.resolve("hung.pid");
        Path runc = fakeRunc("""
                if [ "$cmd" = create ]; then echo $$ > %s; exec sleep 600; fi
                exit 0
                """.formatted(hungPid));
        try (ShimDaemon shim = ShimDaemon.start(dir, "c1", CONFIG)) {
            // the caller's 6 s deadline: an answer of the shim's own (UNKNOWN, not DEADLINE_EXCEEDED) came before it
            TtrpcException e = assertThrows(TtrpcException.class,
                    () -> shim.call("Create", create(shim, runc), Duration.ofSeconds(6)));

            assertEquals(Code.UNKNOWN, e.code(), "the shim answered itself, before ttrpc's DEADLINE_EXCEEDED: " + e);
            assertTrue(e.getMessage().startsWith("OCI runtime create failed: "), e.getMessage());
            assertTrue(e.getMessage().contains("did not finish within") && e.getMessage().contains("killed it"),
                    e.getMessage());
            int pid = Integer.parseInt(Files.readString(hungPid).trim());
            assertTrue(Poll.until(Duration.ofSeconds(10), () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)),
                    "the hung runc (pid " + pid + ") was killed");
            assertTrue(runcCalls().stream().anyMatch(l -> l.contains("delete --force c1")),
                    "what the killed runc may have left is deleted: " + runcCalls());
        }
    }

    /**
     * With a terminal runc's stdio is its own (the process gets the pty), so the shim reads it, as go-runc does;
     * without one runc's stdio is the container's, and a pipe of the shim's would stay open as long as the container.
     */
    @Test
    void whatAFailingRuncPrintsReachesTheError() throws Exception {
        Path runc = fakeRunc("""
                if [ "$cmd" = create ]; then echo "fake-runc: cannot frobnicate the widget of $id" >&2; exit 1; fi
                exit 0
                """);
        try (ShimDaemon shim = ShimDaemon.start(dir, "c1", CONFIG)) {
            TtrpcException e = assertThrows(TtrpcException.class,
                    () -> shim.call("Create", create(shim, runc).toBuilder().setTerminal(true).build(), Duration.ofSeconds(30)));
            assertEquals("OCI runtime create failed: exit status 1: fake-runc: cannot frobnicate the widget of c1",
                    e.getMessage());
        }
    }

    @Test
    void aFullDiskFailsTheCreateWithTheFileItCouldNotWrite() throws Exception {
        Path runc = fakeRunc("exit 0");
        Path full = Files.createDirectories(dir.resolve("full"));
        RuncFixture.run("mount", "-t", "tmpfs", "-o", "size=64k", "jrunc-e2e-full", full.toString());
        try (ShimDaemon shim = ShimDaemon.start(dir, "c1", CONFIG)) {
            Path bundle = Files.createDirectories(full.resolve("bundle"));
            try (var fill = Files.newOutputStream(full.resolve("filler"))) {
                byte[] block = new byte[4096];
                while (true) fill.write(block); // until the disk is full
            } catch (java.io.IOException expected) {
                // ENOSPC
            }
            TtrpcException e = assertThrows(TtrpcException.class, () -> shim.call("Create",
                    create(shim, runc).toBuilder().setBundle(bundle.toString()).build(), Duration.ofSeconds(30)));
            assertTrue(e.getMessage().contains(bundle.resolve("options.json").toString())
                    && e.getMessage().contains("No space left on device"), e.getMessage());
        } finally {
            RuncFixture.run("umount", full.toString());
        }
    }

    @Test
    void checkpointAndRestoreReachRuncWithGoRuncsFlags() throws Exception {
        Path sleepers = dir.resolve("sleepers");
        // the container process: a sleep of our own, which the shim reaps once the script has exited
        Path runc = fakeRunc("""
                case "$cmd" in create|restore) sleep 600 </dev/null >/dev/null 2>&1 & echo $! > "$pidfile"; echo $! >> %s;; esac
                exit 0
                """.formatted(sleepers));
        try (ShimDaemon shim = ShimDaemon.start(dir, "c1", CONFIG)) {
            int pid = CreateTaskResponse.parseFrom(shim.call("Create", create(shim, runc), Duration.ofSeconds(30))).getPid();
            shim.call("Start", StartRequest.newBuilder().setId("c1").build(), Duration.ofSeconds(30));
            CheckpointOptions options = CheckpointOptions.newBuilder().setOpenTcp(true).setExternalUnixSockets(true)
                    .setTerminal(true).setFileLocks(true).addEmptyNamespaces("network").setWorkPath("/var/lib/criu-work")
                    .setCgroupsMode("soft").build();
            shim.call("Checkpoint", CheckpointTaskRequest.newBuilder().setId("c1").setPath("/images/c1")
                    .setOptions(com.google.protobuf.Any.newBuilder().setTypeUrl("containerd.runc.v1.CheckpointOptions")
                            .setValue(options.toByteString())).build(), Duration.ofSeconds(30));
            assertTrue(runcCalls().getLast().endsWith("checkpoint --image-path /images/c1 --work-path /var/lib/criu-work "
                    + "--tcp-established --ext-unix-sk --shell-job --file-locks --empty-ns network --leave-running c1"),
                    runcCalls().getLast());

            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly); // the checkpointed task ends
            assertTrue(Poll.until(Duration.ofSeconds(10), () -> deleted(shim)), "the stopped task is deleted");

            shim.call("Create", create(shim, runc).toBuilder().setCheckpoint("/images/c1").build(), Duration.ofSeconds(30));
            assertFalse(runcCalls().getLast().contains(" create "), "a restore is only recorded at Create");
            int restored = StartResponse.parseFrom(shim.call("Start", StartRequest.newBuilder().setId("c1").build(),
                    Duration.ofSeconds(30))).getPid();
            assertEquals(Integer.parseInt(Files.readAllLines(sleepers).getLast().trim()), restored);
            assertTrue(runcCalls().getLast().endsWith("restore --image-path /images/c1 --detach --pid-file "
                    + shim.bundle.resolve("init.pid") + " -no-subreaper --bundle " + shim.bundle + " c1"),
                    runcCalls().getLast());
        } finally {
            if (Files.exists(sleepers)) {
                for (String line : Files.readAllLines(sleepers)) {
                    ProcessHandle.of(Long.parseLong(line.trim())).ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        }
    }

    /** Delete of the init once the shim has seen it exit; false while it still runs. */
    private static boolean deleted(ShimDaemon shim) {
        try {
            shim.call("Delete", DeleteRequest.newBuilder().setId("c1").build(), Duration.ofSeconds(10));
            return true;
        } catch (TtrpcException e) {
            return false;
        }
    }
}
