package jrunc.core.task;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jrunc.core.events.Topics;
import jrunc.core.fake.FakeOperatingSystem;
import jrunc.core.runc.RuncOptions;
import jrunc.core.ttrpc.Code;
import jrunc.proto.events.TaskCreate;
import jrunc.proto.events.TaskDelete;
import jrunc.proto.events.TaskExecStarted;
import jrunc.proto.events.TaskExit;
import jrunc.proto.events.TaskStart;
import jrunc.proto.runc.Options;
import jrunc.proto.runc.ProcessDetails;
import jrunc.proto.task.*;
import jrunc.proto.types.Mount;
import jrunc.proto.types.ProcessInfo;
import jrunc.proto.types.Status;
import org.junit.jupiter.api.Test;

class TaskServiceTest extends TaskServiceTestCase {
    private static final String SHARED_PID_NS = "{\"ociVersion\":\"1.0.2\",\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}";

    private CreateTaskRequest.Builder createRequest() {
        return CreateTaskRequest.newBuilder().setId("c1").setBundle(bundle.toString());
    }

    private int createAndStart() throws TaskException {
        service.create(CALL, createRequest().build());
        return service.start(CALL, StartRequest.newBuilder().setId("c1").build()).getPid();
    }

    private static TaskException refusal(ThrowingCall call) {
        return assertThrows(TaskException.class, call::run);
    }

    @FunctionalInterface
    interface ThrowingCall {
        void run() throws Exception;
    }

    @Test
    void taskLifecyclePublishesCreateStartExitDeleteInOrder() throws Exception {
        Mount snapshot = Mount.newBuilder().setType("bind").setSource("/snapshots/1/fs").addOptions("rbind").addOptions("ro").build();
        CreateTaskResponse created = service.create(CALL, createRequest().addRootfs(snapshot).build());
        int pid = created.getPid();
        assertEquals(runc.containerPids.getFirst(), pid);
        assertEquals(1, os.mountDepth(bundle.resolve("rootfs")));

        assertEquals(pid, service.start(CALL, StartRequest.newBuilder().setId("c1").build()).getPid());
        CompletableFuture<WaitResponse> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return service.await(CALL, WaitRequest.newBuilder().setId("c1").build());
            } catch (TaskException e) {
                throw new RuntimeException(e);
            }
        });
        os.reaper.exit(pid, 3);

        WaitResponse waited = waiting.get(5, TimeUnit.SECONDS);
        assertEquals(3, waited.getExitStatus());
        assertNotEquals(Timestamps.GO_ZERO_TIME, waited.getExitedAt());
        TaskExit exit = events.await(Topics.TASK_EXIT, TaskExit.class);
        assertEquals("c1", exit.getContainerId());
        assertEquals("c1", exit.getId(), "CRI recognises init exits by id == container_id");
        assertEquals(pid, exit.getPid());
        assertEquals(3, exit.getExitStatus());
        assertEquals(waited.getExitedAt(), exit.getExitedAt());

        DeleteResponse deleted = service.delete(CALL, DeleteRequest.newBuilder().setId("c1").build());
        assertEquals(pid, deleted.getPid());
        assertEquals(3, deleted.getExitStatus());
        assertEquals(exit.getExitedAt(), deleted.getExitedAt());
        assertEquals(List.of(Topics.TASK_CREATE, Topics.TASK_START, Topics.TASK_EXIT, Topics.TASK_DELETE), events.topics());
        TaskDelete delete = events.await(Topics.TASK_DELETE, TaskDelete.class);
        assertEquals("c1", delete.getContainerId());
        assertEquals(pid, delete.getPid());
        assertEquals(3, delete.getExitStatus());
        assertEquals(exit.getExitedAt(), delete.getExitedAt());
        assertEquals(0, os.mountDepth(bundle.resolve("rootfs")), "rootfs unmounted at delete");
        assertTrue(runc.ran("delete", "c1"));
        assertEquals(Code.NOT_FOUND, refusal(() -> service.state(CALL, StateRequest.newBuilder().setId("c1").build())).code());
    }

    @Test
    void everyEventCarriesTheNamespaceOfItsTaskNotTheDaemons() throws Exception {
        // a daemon grouping tasks node-wide serves tasks of several namespaces; its own -namespace is "default"
        int pid = service.create(in("ns1"), createRequest().build()).getPid();
        service.start(in("ns1"), StartRequest.newBuilder().setId("c1").build());
        os.reaper.exit(pid, 0);
        events.await(Topics.TASK_EXIT, TaskExit.class);
        service.delete(in("ns1"), DeleteRequest.newBuilder().setId("c1").build());
        assertEquals(List.of(Topics.TASK_CREATE, Topics.TASK_START, Topics.TASK_EXIT, Topics.TASK_DELETE), events.topics());
        assertEquals(List.of("ns1"), events.all().stream().map(RecordingEvents.Event::namespace).distinct().toList());
    }

    @Test
    void taskCreateEventCarriesTheRequest() throws Exception {
        Mount m = Mount.newBuilder().setType("overlay").setSource("overlay").addOptions("lowerdir=/l").build();
        Files.writeString(dir.resolve("out"), "");
        service.create(CALL, createRequest().addRootfs(m).setStdout(dir.resolve("out").toString()).build());
        TaskCreate create = events.await(Topics.TASK_CREATE, TaskCreate.class);
        assertEquals("c1", create.getContainerId());
        assertEquals(bundle.toString(), create.getBundle());
        assertEquals(List.of(m), create.getRootfsList());
        assertEquals(dir.resolve("out").toString(), create.getIo().getStdout());
        assertEquals(runc.containerPids.getFirst(), create.getPid());
    }

    @Test
    void stateOfCreatedProcessSendsGoZeroExitTime() throws Exception {
        int pid = service.create(CALL, createRequest().setStdin("").build()).getPid();
        StateResponse state = service.state(CALL, StateRequest.newBuilder().setId("c1").build());
        assertEquals("c1", state.getId());
        assertEquals(bundle.toString(), state.getBundle());
        assertEquals(pid, state.getPid());
        assertEquals(Status.CREATED, state.getStatus());
        assertTrue(state.hasExitedAt());
        assertEquals(-62135596800L, state.getExitedAt().getSeconds());
        assertEquals("", state.getExecId());
    }

    @Test
    void killOfExitedProcessAnswersNotFound() throws Exception {
        int pid = createAndStart();
        os.reaper.exit(pid, 0);
        events.await(Topics.TASK_EXIT, TaskExit.class);
        TaskException e = refusal(() -> service.kill(CALL, KillRequest.newBuilder().setId("c1").setSignal(9).build()));
        assertEquals(Code.NOT_FOUND, e.code());
        assertEquals("process already finished", e.getMessage());
    }

    @Test
    void killOfRunningInitRunsRuncKill() throws Exception {
        createAndStart();
        service.kill(CALL, KillRequest.newBuilder().setId("c1").setSignal(15).setAll(true).build());
        assertTrue(runc.ran("kill", "--all", "c1", "15"));
    }

    @Test
    void killThatRuncReportsAsFinishedAnswersNotFound() throws Exception {
        createAndStart();
        runc.failures.put("kill", "container not running");
        assertEquals(Code.NOT_FOUND, refusal(() -> service.kill(CALL, KillRequest.newBuilder().setId("c1").setSignal(9).build())).code());
    }

    @Test
    void deleteOfRunningProcessIsRefused() throws Exception {
        createAndStart();
        TaskException e = refusal(() -> service.delete(CALL, DeleteRequest.newBuilder().setId("c1").build()));
        assertEquals(Code.FAILED_PRECONDITION, e.code());
        assertEquals("cannot delete a running process", e.getMessage());
        assertFalse(runc.ran("delete", "c1"));
    }

    @Test
    void startOfStartedProcessIsRefused() throws Exception {
        createAndStart();
        assertEquals(Code.FAILED_PRECONDITION, refusal(() -> service.start(CALL, StartRequest.newBuilder().setId("c1").build())).code());
    }

    @Test
    void deleteOfCreatedTaskPublishesDeleteWithZeroTime() throws Exception {
        int pid = service.create(CALL, createRequest().build()).getPid();
        DeleteResponse deleted = service.delete(CALL, DeleteRequest.newBuilder().setId("c1").build());
        assertEquals(pid, deleted.getPid());
        assertEquals(Timestamps.GO_ZERO_TIME, deleted.getExitedAt());
        os.reaper.exit(pid, 137); // runc delete killed it: nobody is told any more
        assertEquals(List.of(Topics.TASK_CREATE, Topics.TASK_DELETE), events.topics());
    }

    @Test
    void anOomBeforeStartIsPublishedBecauseTheCgroupIsWatchedFromCreate() throws Exception {
        service.create(CALL, createRequest().build());
        os.oom(); // the process outgrew its limit at once: runc start had not even returned
        assertEquals(List.of(Topics.TASK_CREATE, Topics.TASK_OOM), events.topics());
        service.start(CALL, StartRequest.newBuilder().setId("c1").build());
        assertEquals(1, os.oomWatchers.size(), "Start keeps the one watch Create made");
    }

    @Test
    void noOomIsPublishedOnceTheTaskIsDeleted() throws Exception {
        service.create(CALL, createRequest().build());
        service.delete(CALL, DeleteRequest.newBuilder().setId("c1").build());
        os.oom();
        assertEquals(List.of(Topics.TASK_CREATE, Topics.TASK_DELETE), events.topics());
        assertTrue(os.oomWatchers.isEmpty(), "the watch is closed at Delete");
    }

    @Test
    void unknownContainerAnswersNotFound() {
        StateRequest state = StateRequest.newBuilder().setId("nope").build();
        assertEquals(Code.NOT_FOUND, refusal(() -> service.state(CALL, state)).code());
        assertEquals(Code.NOT_FOUND, refusal(() -> service.kill(CALL, KillRequest.newBuilder().setId("nope").build())).code());
        assertEquals(Code.NOT_FOUND, refusal(() -> service.delete(CALL, DeleteRequest.newBuilder().setId("nope").build())).code());
        assertEquals(Code.NOT_FOUND, refusal(() -> service.pids(CALL, PidsRequest.newBuilder().setId("nope").build())).code());
        assertEquals(Code.NOT_FOUND, refusal(() -> service.await(CALL, WaitRequest.newBuilder().setId("nope").build())).code());
    }

    @Test
    void unknownExecAnswersNotFound() throws Exception {
        createAndStart();
        TaskException e = refusal(() -> service.state(CALL, StateRequest.newBuilder().setId("c1").setExecId("x").build()));
        assertEquals(Code.NOT_FOUND, e.code());
    }

    @Test
    void connectWithUnknownIdAnswersZeroTaskPid() throws Exception {
        ConnectResponse unknown = service.connect(CALL, ConnectRequest.newBuilder().setId("nope").build());
        assertEquals(FakeOperatingSystem.SHIM_PID, unknown.getShimPid());
        assertEquals(0, unknown.getTaskPid());
        int pid = service.create(CALL, createRequest().build()).getPid();
        assertEquals(pid, service.connect(CALL, ConnectRequest.newBuilder().setId("c1").build()).getTaskPid());
    }

    @Test
    void shutdownIsNoOpWhileContainersRemain() throws Exception {
        service.create(CALL, createRequest().build());
        service.shutdown(CALL, ShutdownRequest.newBuilder().setId("c1").build());
        assertEquals(0, shutdowns.get());
        service.delete(CALL, DeleteRequest.newBuilder().setId("c1").build());
        service.shutdown(CALL, ShutdownRequest.newBuilder().setId("c1").build());
        assertEquals(1, shutdowns.get());
    }

    @Test
    void initExitBeforeItsPidIsKnownIsNotLost() throws Exception {
        // the process dies while runc create is still running, before the shim has read init.pid
        runc.onProcessMade = pid -> os.reaper.exit(pid, 7);
        service.create(CALL, createRequest().build());
        TaskExit exit = events.await(Topics.TASK_EXIT, TaskExit.class);
        assertEquals(7, exit.getExitStatus());
        assertEquals(List.of(Topics.TASK_CREATE, Topics.TASK_EXIT), events.topics());
        assertEquals(7, service.await(CALL, WaitRequest.newBuilder().setId("c1").build()).getExitStatus());
    }

    @Test
    void startEventPrecedesExitOfAnInitThatDiesDuringStart() throws Exception {
        runc.onStart = pid -> os.reaper.exit(pid, 1);
        createAndStart();
        events.await(Topics.TASK_EXIT, TaskExit.class);
        assertEquals(List.of(Topics.TASK_CREATE, Topics.TASK_START, Topics.TASK_EXIT), events.topics());
        TaskStart start = events.await(Topics.TASK_START, TaskStart.class);
        assertEquals(runc.containerPids.getFirst(), start.getPid());
    }

    @Test
    void initExitKillsTheRestWhenThePidNamespaceIsShared() throws Exception {
        Files.writeString(bundle.resolve("config.json"), SHARED_PID_NS);
        int pid = createAndStart();
        os.reaper.exit(pid, 0);
        events.await(Topics.TASK_EXIT, TaskExit.class);
        assertTrue(runc.ran("kill", "--all", "c1", "9"));
    }

    @Test
    void initExitInItsOwnPidNamespaceLeavesTheKillToTheKernel() throws Exception {
        int pid = createAndStart();
        os.reaper.exit(pid, 0);
        events.await(Topics.TASK_EXIT, TaskExit.class);
        assertFalse(runc.ran("kill", "--all", "c1", "9"));
    }

    @Test
    void execLifecycle() throws Exception {
        createAndStart();
        String spec = "{\"args\":[\"sh\"],\"cwd\":\"/\"}";
        ExecProcessRequest exec = ExecProcessRequest.newBuilder().setId("c1").setExecId("e1")
                .setSpec(Any.newBuilder().setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/Process")
                        .setValue(ByteString.copyFromUtf8(spec)))
                .build();
        service.exec(CALL, exec);
        assertEquals(Code.ALREADY_EXISTS, refusal(() -> service.exec(CALL, exec)).code());
        assertEquals(Status.CREATED, service.state(CALL, StateRequest.newBuilder().setId("c1").setExecId("e1").build()).getStatus());

        int execPid = service.start(CALL, StartRequest.newBuilder().setId("c1").setExecId("e1").build()).getPid();
        assertEquals(runc.containerPids.get(1), execPid);
        assertEquals(List.of("{\"args\":[\"sh\"],\"cwd\":\"/\",\"terminal\":false}"), runc.execSpecs,
                "runc gets the spec as sent, its terminal set from the request");
        assertTrue(Files.exists(bundle.resolve("e1.pid")));
        TaskExecStarted started = events.await(Topics.TASK_EXEC_STARTED, TaskExecStarted.class);
        assertEquals("e1", started.getExecId());
        assertEquals(execPid, started.getPid());

        os.reaper.exit(execPid, 2);
        TaskExit exit = events.await(Topics.TASK_EXIT, TaskExit.class);
        assertEquals("c1", exit.getContainerId());
        assertEquals("e1", exit.getId());
        assertEquals(2, service.await(CALL, WaitRequest.newBuilder().setId("c1").setExecId("e1").build()).getExitStatus());

        DeleteResponse deleted = service.delete(CALL, DeleteRequest.newBuilder().setId("c1").setExecId("e1").build());
        assertEquals(execPid, deleted.getPid());
        assertEquals(2, deleted.getExitStatus());
        assertFalse(Files.exists(bundle.resolve("e1.pid")));
        assertEquals(List.of(Topics.TASK_CREATE, Topics.TASK_START, Topics.TASK_EXEC_ADDED, Topics.TASK_EXEC_STARTED,
                Topics.TASK_EXIT), events.topics(), "no event for an exec's delete");
        assertEquals(Code.NOT_FOUND, refusal(() -> service.state(CALL, StateRequest.newBuilder().setId("c1").setExecId("e1").build())).code());
    }

    @Test
    void execThatDiesBeforeItsPidIsKnownReportsStartedThenExit() throws Exception {
        int initPid = createAndStart();
        runc.onProcessMade = pid -> os.reaper.exit(pid, 5);
        service.exec(CALL, ExecProcessRequest.newBuilder().setId("c1").setExecId("e1").setSpec(PROCESS_SPEC).build());
        service.start(CALL, StartRequest.newBuilder().setId("c1").setExecId("e1").build());
        events.await(Topics.TASK_EXIT, TaskExit.class);
        assertEquals(List.of(Topics.TASK_CREATE, Topics.TASK_START, Topics.TASK_EXEC_ADDED, Topics.TASK_EXEC_STARTED,
                Topics.TASK_EXIT), events.topics());
        assertEquals(5, service.await(CALL, WaitRequest.newBuilder().setId("c1").setExecId("e1").build()).getExitStatus());
        assertNotEquals(initPid, events.await(Topics.TASK_EXIT, TaskExit.class).getPid());
    }

    @Test
    void execThatRuncFailsToStartIsFinishedAtOnce() throws Exception {
        createAndStart();
        service.exec(CALL, ExecProcessRequest.newBuilder().setId("c1").setExecId("e1").setSpec(PROCESS_SPEC).build());
        runc.failures.put("exec", "exec failed: unable to start container process: exec: \"nope\": executable file not found in $PATH");
        TaskException e = refusal(() -> service.start(CALL, StartRequest.newBuilder().setId("c1").setExecId("e1").build()));
        assertEquals(Code.UNKNOWN, e.code());
        assertTrue(e.getMessage().startsWith("OCI runtime exec failed: exec failed: unable to start"), e.getMessage());
        assertEquals(Status.STOPPED, service.state(CALL, StateRequest.newBuilder().setId("c1").setExecId("e1").build()).getStatus());
        service.await(CALL, WaitRequest.newBuilder().setId("c1").setExecId("e1").build()); // returns, does not hang
    }

    @Test
    void execInAStoppedContainerIsRefused() throws Exception {
        int pid = createAndStart();
        os.reaper.exit(pid, 0);
        events.await(Topics.TASK_EXIT, TaskExit.class);
        TaskException e = refusal(() -> service.exec(CALL, ExecProcessRequest.newBuilder().setId("c1").setExecId("e1").setSpec(PROCESS_SPEC).build()));
        assertEquals(Code.FAILED_PRECONDITION, e.code());
    }

    @Test
    void pidsMarkExecProcessesWithProcessDetails() throws Exception {
        int initPid = createAndStart();
        service.exec(CALL, ExecProcessRequest.newBuilder().setId("c1").setExecId("e1").setSpec(PROCESS_SPEC).build());
        int execPid = service.start(CALL, StartRequest.newBuilder().setId("c1").setExecId("e1").build()).getPid();
        runc.psPids = List.of(initPid, execPid);
        List<ProcessInfo> processes = service.pids(CALL, PidsRequest.newBuilder().setId("c1").build()).getProcessesList();
        assertEquals(2, processes.size());
        assertEquals(initPid, processes.get(0).getPid());
        assertFalse(processes.get(0).hasInfo());
        assertEquals(execPid, processes.get(1).getPid());
        assertEquals("containerd.runc.v1.ProcessDetails", processes.get(1).getInfo().getTypeUrl());
        assertEquals("e1", ProcessDetails.parseFrom(processes.get(1).getInfo().getValue()).getExecId());
        assertTrue(runc.ran("ps", "--format", "json", "c1"));
    }

    @Test
    void initExitWaitsForExecsBeingStarted() throws Exception {
        int initPid = createAndStart();
        service.exec(CALL, ExecProcessRequest.newBuilder().setId("c1").setExecId("e1").setSpec(PROCESS_SPEC).build());
        // the init dies while runc exec runs; the exec's exit follows. The init's exit must be published last.
        runc.onProcessMade = execPid -> {
            os.reaper.exit(initPid, 137);
            os.reaper.exit(execPid, 137);
        };
        service.start(CALL, StartRequest.newBuilder().setId("c1").setExecId("e1").build());
        events.awaitCount(Topics.TASK_EXIT, 2);
        List<RecordingEvents.Event> exits = events.all().stream().filter(e -> e.topic().equals(Topics.TASK_EXIT)).toList();
        assertEquals("e1", ((TaskExit) exits.get(0).message()).getId());
        assertEquals("c1", ((TaskExit) exits.get(1).message()).getId());
    }

    @Test
    void pauseAndResume() throws Exception {
        service.create(CALL, createRequest().build());
        assertEquals(Code.FAILED_PRECONDITION, refusal(() -> service.pause(CALL, PauseRequest.newBuilder().setId("c1").build())).code());
        service.start(CALL, StartRequest.newBuilder().setId("c1").build());
        service.pause(CALL, PauseRequest.newBuilder().setId("c1").build());
        assertEquals(Status.PAUSED, service.state(CALL, StateRequest.newBuilder().setId("c1").build()).getStatus());
        assertEquals(Code.FAILED_PRECONDITION, refusal(() -> service.delete(CALL, DeleteRequest.newBuilder().setId("c1").build())).code());
        service.resume(CALL, ResumeRequest.newBuilder().setId("c1").build());
        assertEquals(Status.RUNNING, service.state(CALL, StateRequest.newBuilder().setId("c1").build()).getStatus());
        assertTrue(runc.ran("pause", "c1"));
        assertTrue(runc.ran("resume", "c1"));
        assertEquals(List.of(Topics.TASK_CREATE, Topics.TASK_START, Topics.TASK_PAUSED, Topics.TASK_RESUMED), events.topics());
    }

    @Test
    void updatePassesResourcesToRuncOnStdin() throws Exception {
        createAndStart();
        String resources = "{\"memory\":{\"limit\":1048576}}";
        service.update(CALL, UpdateTaskRequest.newBuilder().setId("c1")
                .setResources(Any.newBuilder().setValue(ByteString.copyFromUtf8(resources))).build());
        assertTrue(runc.ran("update", "--resources", "-", "c1"));
        assertEquals(resources, new String(runc.updateStdin, java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void createFailureQuotesRuncAndLeavesNothingBehind() throws Exception {
        runc.failures.put("create", "container_linux.go:380: starting container process caused: exec: \"nope\": executable file not found in $PATH");
        Mount m = Mount.newBuilder().setType("bind").setSource("/snap").addOptions("rbind").build();
        TaskException e = refusal(() -> service.create(CALL, createRequest().addRootfs(m).build()));
        assertEquals(Code.UNKNOWN, e.code());
        assertEquals("OCI runtime create failed: container_linux.go:380: starting container process caused: exec: \"nope\": executable file not found in $PATH",
                e.getMessage());
        assertEquals(0, os.mountDepth(bundle.resolve("rootfs")));
        assertEquals(List.of(), events.topics());
        assertEquals(0, service.connect(CALL, ConnectRequest.newBuilder().setId("c1").build()).getTaskPid());
    }

    @Test
    void createWritesOptionsJsonAndRuntimeAndUsesTheirRunc() throws Exception {
        Options options = Options.newBuilder().setBinaryName("/usr/local/bin/crun").setRoot("/run/alt").setNoPivotRoot(true).build();
        service.create(in("ns1"), createRequest()
                .setOptions(Any.newBuilder().setTypeUrl("containerd.runc.v1.Options").setValue(options.toByteString())).build());
        assertEquals("{\"no_pivot_root\":true,\"binary_name\":\"/usr/local/bin/crun\",\"root\":\"/run/alt\"}",
                Files.readString(bundle.resolve("options.json")));
        assertEquals("/usr/local/bin/crun", Files.readString(bundle.resolve("runtime")));
        List<String> create = os.reaper.argvs().getFirst();
        assertEquals(List.of("/usr/local/bin/crun", "--root", "/run/alt/ns1", "--log", bundle.resolve("log.json").toString(),
                "--log-format", "json", "create", "--bundle", bundle.toString(), "--pid-file",
                bundle.resolve("init.pid").toString(), "--no-pivot", "c1"), create);
    }

    @Test
    void duplicateCreateIsRefused() throws Exception {
        service.create(CALL, createRequest().build());
        assertEquals(Code.ALREADY_EXISTS, refusal(() -> service.create(CALL, createRequest().build())).code());
    }

    @Test
    void killOfAGoneExecAnswersNotFound() throws Exception {
        createAndStart();
        service.exec(CALL, ExecProcessRequest.newBuilder().setId("c1").setExecId("e1").setSpec(PROCESS_SPEC).build());
        assertEquals(Code.FAILED_PRECONDITION,
                refusal(() -> service.kill(CALL, KillRequest.newBuilder().setId("c1").setExecId("e1").setSignal(9).build())).code(),
                "an exec that was never started has no pid to signal");
        int execPid = service.start(CALL, StartRequest.newBuilder().setId("c1").setExecId("e1").build()).getPid();
        service.kill(CALL, KillRequest.newBuilder().setId("c1").setExecId("e1").setSignal(15).build());
        assertEquals(new FakeOperatingSystem.Signal(execPid, 15), os.signals.getLast());
        os.gonePids.add(execPid);
        assertEquals(Code.NOT_FOUND,
                refusal(() -> service.kill(CALL, KillRequest.newBuilder().setId("c1").setExecId("e1").setSignal(9).build())).code());
    }

    @Test
    void outputReachesTheClientFilesAndPipesAreOwnedByIoUser() throws Exception {
        Path out = Files.writeString(dir.resolve("stdout"), "");
        Path err = Files.writeString(dir.resolve("stderr"), "");
        runc.processStdout = "hello\n";
        runc.processStderr = "oops\n";
        Options options = Options.newBuilder().setIoUid(1000).setIoGid(1001).build();
        service.create(CALL, createRequest().setStdout(out.toString()).setStderr(err.toString())
                .setOptions(Any.newBuilder().setTypeUrl(RuncOptions.TYPE_URL).setValue(options.toByteString())).build());
        awaitContent(out, "hello\n");
        awaitContent(err, "oops\n");
        assertEquals(2, os.chowns.size());
        assertTrue(os.chowns.stream().allMatch(c -> c[1] == 1000 && c[2] == 1001));
    }

    @Test
    void fileSchemeAppendsBothStreamsToOneFile() throws Exception {
        Path log = dir.resolve("logs/c1.log");
        runc.processStdout = "out\n";
        runc.processStderr = "err\n";
        service.create(CALL, createRequest().setStdout("file://" + log).setStderr("file://" + log).build());
        // each stream's output whole, in whichever order the two copiers got to it
        awaitCondition(log, text -> text.equals("out\nerr\n") || text.equals("err\nout\n"));
        // created 0644 (less what the umask takes away): nobody else may write the log
        assertTrue(PosixFilePermissions.fromString("rw-r--r--").containsAll(Files.getPosixFilePermissions(log)),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(log)));
    }

    @Test
    void fileSchemeKeepsWhatTheLogAlreadyHeld() throws Exception {
        Path log = Files.writeString(Files.createDirectories(dir.resolve("logs")).resolve("c1.log"), "earlier run\n");
        runc.processStderr = "err\n";
        service.create(CALL, createRequest().setStdout("file://" + log).setStderr("file://" + log).build());
        awaitContent(log, "earlier run\nerr\n");
    }

    @Test
    void unknownStdioSchemeIsRefused() {
        TaskException e = refusal(() -> service.create(CALL, createRequest().setStdout("tcp://host:1").build()));
        assertTrue(e.getMessage().contains("unknown STDIO scheme tcp"), e.getMessage());
    }

    private static void awaitCondition(Path file, java.util.function.Predicate<String> holds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!(Files.exists(file) && holds.test(Files.readString(file)))) {
            if (System.nanoTime() > deadline) fail(file + " holds \"" + (Files.exists(file) ? Files.readString(file) : null) + "\"");
            Thread.sleep(10);
        }
    }

    private static void awaitContent(Path file, String expected) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!(Files.exists(file) && Files.readString(file).equals(expected))) {
            if (System.nanoTime() > deadline) fail(file + " holds \"" + (Files.exists(file) ? Files.readString(file) : null) + "\"");
            Thread.sleep(10);
        }
    }
}
