package jrunc.core.task;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jrunc.core.events.BareAny;
import jrunc.core.events.Topics;
import jrunc.core.ttrpc.Code;
import jrunc.proto.events.TaskCreate;
import jrunc.proto.events.TaskStart;
import jrunc.proto.runc.CheckpointOptions;
import jrunc.proto.runc.Options;
import jrunc.proto.task.*;
import jrunc.proto.types.Status;
import org.junit.jupiter.api.Test;

/**
 * Checkpoint and restore against the fake runc: every option reaches runc exactly as containerd's shim passes it
 * (containerd v1.6.20 runtime/v2/runc/container.go, pkg/process/init.go, go-runc v1.0.0 runc.go).
 */
class CheckpointTest extends TaskServiceTestCase {

    private void createAndStart() throws TaskException {
        service.create(CALL, CreateTaskRequest.newBuilder().setId("c1").setBundle(bundle.toString()).build());
        service.start(CALL, StartRequest.newBuilder().setId("c1").build());
    }

    private List<String> lastCommandTail(String command) {
        List<String> argv = runc.commands().stream().filter(a -> a.contains(command)).reduce((a, b) -> b).orElseThrow();
        return argv.subList(argv.indexOf(command), argv.size());
    }

    @Test
    void everyCheckpointOptionReachesRuncAsGoRuncSpellsIt() throws Exception {
        createAndStart();
        CheckpointOptions options = CheckpointOptions.newBuilder().setOpenTcp(true).setExternalUnixSockets(true)
                .setTerminal(true).setFileLocks(true).addEmptyNamespaces("network").addEmptyNamespaces("ipc")
                .setCgroupsMode("soft").setWorkPath("/var/criu-work").setImagePath("/ignored/by/the/shim").build();
        service.checkpoint(CALL, CheckpointTaskRequest.newBuilder().setId("c1").setPath("/images/c1")
                .setOptions(BareAny.anyOf(options)).build());
        assertEquals(List.of("checkpoint", "--image-path", "/images/c1", "--work-path", "/var/criu-work",
                "--tcp-established", "--ext-unix-sk", "--shell-job", "--file-locks", "--empty-ns", "network",
                "--empty-ns", "ipc", "--leave-running", "c1"), lastCommandTail("checkpoint"),
                "containerd's shim passes neither the cgroups mode nor the options' image path");
    }

    @Test
    void exitStopsTheTaskAndCriuWorksInTheBundleWhenNoWorkPathIsGiven() throws Exception {
        createAndStart();
        service.checkpoint(CALL, CheckpointTaskRequest.newBuilder().setId("c1").setPath("/images/c1")
                .setOptions(BareAny.anyOf(CheckpointOptions.newBuilder().setExit(true).build())).build());
        Path work = bundle.resolve("work/criu-work");
        assertEquals(List.of("checkpoint", "--image-path", "/images/c1", "--work-path", work.toString(), "c1"),
                lastCommandTail("checkpoint"));
        assertFalse(Files.exists(work), "the scratch work directory is removed afterwards");
    }

    @Test
    void noOptionsMeansDefaults() throws Exception {
        createAndStart();
        service.checkpoint(CALL, CheckpointTaskRequest.newBuilder().setId("c1").setPath("/images/c1").build());
        assertEquals("--leave-running", lastCommandTail("checkpoint").get(5));
    }

    @Test
    void aFailedDumpNamesCriusLogCopiedIntoTheBundle() throws Exception {
        createAndStart();
        Path work = Files.createDirectories(dir.resolve("w"));
        Files.writeString(work.resolve("dump.log"), "Error (criu/vdso.c:123): vdso: Failed to fill self vdso symtable\n");
        runc.failures.put("checkpoint", "criu failed: type NOTIFY errno 0\nlog file: " + work.resolve("dump.log"));
        TaskException e = assertThrows(TaskException.class, () -> service.checkpoint(CALL, CheckpointTaskRequest
                .newBuilder().setId("c1").setPath("/images/c1")
                .setOptions(BareAny.anyOf(CheckpointOptions.newBuilder().setWorkPath(work.toString()).build())).build()));
        Path dumpLog = bundle.resolve("criu-dump.log");
        assertEquals("criu failed: type NOTIFY errno 0 path= " + dumpLog, e.getMessage());
        assertTrue(Files.readString(dumpLog).contains("Failed to fill self vdso symtable"));
        assertTrue(Files.exists(work), "a work path the caller named is kept");
    }

    @Test
    void optionsOfAnotherTypeAreInvalid() throws Exception {
        createAndStart();
        TaskException e = assertThrows(TaskException.class, () -> service.checkpoint(CALL, CheckpointTaskRequest
                .newBuilder().setId("c1").setPath("/i").setOptions(BareAny.anyOf(Options.getDefaultInstance())).build()));
        assertEquals(Code.INVALID_ARGUMENT, e.code());
    }

    @Test
    void createWithACheckpointRunsNoRuncUntilStartRestoresIt() throws Exception {
        service.create(CALL, CreateTaskRequest.newBuilder().setId("c1").setBundle(bundle.toString())
                .setCheckpoint("/images/c1").setParentCheckpoint("/images/parent")
                .setOptions(BareAny.anyOf(Options.newBuilder().setNoPivotRoot(true).setCriuWorkPath("/cw").build())).build());
        assertEquals(List.of(), runc.commands(), "containerd's shim restores at Start, not at Create");
        TaskCreate create = events.await(Topics.TASK_CREATE, TaskCreate.class);
        assertEquals("/images/c1", create.getCheckpoint());
        assertEquals(0, create.getPid());
        assertEquals(Status.CREATED, service.state(CALL, StateRequest.newBuilder().setId("c1").build()).getStatus());
        assertEquals(Code.FAILED_PRECONDITION, assertThrows(TaskException.class, () -> service.exec(CALL,
                ExecProcessRequest.newBuilder().setId("c1").setExecId("e1").setSpec(PROCESS_SPEC).build())).code());

        int pid = service.start(CALL, StartRequest.newBuilder().setId("c1").build()).getPid();
        assertEquals(runc.containerPids.getFirst(), pid);
        assertEquals(List.of("restore", "--image-path", "/images/c1", "--work-path", "/cw", "--parent-path",
                "/images/parent", "--detach", "--pid-file", bundle.resolve("init.pid").toString(), "--no-pivot",
                "-no-subreaper", "--bundle", bundle.toString(), "c1"), lastCommandTail("restore"));
        assertEquals(pid, events.await(Topics.TASK_START, TaskStart.class).getPid());
        assertEquals(Status.RUNNING, service.state(CALL, StateRequest.newBuilder().setId("c1").build()).getStatus());
    }

    @Test
    void aFailedRestoreQuotesRunc() throws Exception {
        service.create(CALL, CreateTaskRequest.newBuilder().setId("c1").setBundle(bundle.toString())
                .setCheckpoint("/images/c1").build());
        runc.failures.put("restore", "criu failed: type RESTORE errno 0");
        TaskException e = assertThrows(TaskException.class, () -> service.start(CALL, StartRequest.newBuilder().setId("c1").build()));
        assertEquals("OCI runtime restore failed: criu failed: type RESTORE errno 0", e.getMessage());
    }
}
