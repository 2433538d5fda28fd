package jrunc.core.task;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import jrunc.core.fake.FakeOperatingSystem;
import jrunc.core.fake.FakeRunc;
import jrunc.core.ttrpc.CallContext;
import jrunc.core.ttrpc.Code;
import jrunc.core.ttrpc.ServiceRegistry;
import jrunc.core.ttrpc.TtrpcException;
import jrunc.proto.task.ConnectRequest;
import jrunc.proto.task.ConnectResponse;
import jrunc.proto.task.CreateTaskRequest;
import jrunc.proto.task.CreateTaskResponse;
import jrunc.proto.task.StateRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskHandlersTest {
    @TempDir
    Path dir;
    private final FakeOperatingSystem os = new FakeOperatingSystem();
    private TaskService service;

    private ServiceRegistry registry() {
        FakeRunc runc = new FakeRunc(os);
        os.reaper.script(runc);
        service = new TaskService(os, new RecordingEvents(), "default", () -> {}, dir);
        ServiceRegistry registry = new ServiceRegistry();
        TaskHandlers.register(registry, service);
        return registry;
    }

    @AfterEach
    void tearDown() {
        if (service != null) service.close();
    }

    private static CallContext call(String method, String namespace) {
        return new CallContext(TaskHandlers.SERVICE, method, Map.of(CallContext.NAMESPACE_KEY, List.of(namespace)), Long.MAX_VALUE);
    }

    @Test
    void everyTaskRpcIsRegistered() throws Exception {
        ServiceRegistry registry = registry();
        for (String method : List.of("State", "Create", "Start", "Delete", "Pids", "Pause", "Resume", "Checkpoint", "Kill",
                "Exec", "ResizePty", "CloseIO", "Update", "Wait", "Stats", "Connect", "Shutdown")) {
            assertNotNull(registry.lookup(TaskHandlers.SERVICE, method), method);
        }
    }

    @Test
    void requestsAndResponsesTravelAsProtobufBytes() throws Exception {
        ServiceRegistry registry = registry();
        byte[] answer = registry.lookup(TaskHandlers.SERVICE, "Connect")
                .handle(call("Connect", "default"), ConnectRequest.newBuilder().setId("x").build().toByteArray());
        assertEquals(FakeOperatingSystem.SHIM_PID, ConnectResponse.parseFrom(answer).getShimPid());
    }

    @Test
    void createUsesTheCallsNamespaceForRuncsRoot() throws Exception {
        ServiceRegistry registry = registry();
        Path bundle = Files.createDirectories(dir.resolve("b"));
        byte[] answer = registry.lookup(TaskHandlers.SERVICE, "Create").handle(call("Create", "k8s.io"),
                CreateTaskRequest.newBuilder().setId("c1").setBundle(bundle.toString()).build().toByteArray());
        assertTrue(CreateTaskResponse.parseFrom(answer).getPid() > 0);
        assertEquals("/run/containerd/runc/k8s.io", os.reaper.argvs().getFirst().get(2));
    }

    @Test
    void taskErrorsBecomeTheirStatus() throws Exception {
        ServiceRegistry registry = registry();
        TtrpcException e = assertThrows(TtrpcException.class, () -> registry.lookup(TaskHandlers.SERVICE, "State")
                .handle(call("State", "default"), StateRequest.newBuilder().setId("nope").build().toByteArray()));
        assertEquals(Code.NOT_FOUND, e.code());
        assertEquals("container not created", e.getMessage());
    }

    @Test
    void anUndecodableRequestIsInvalidArgument() throws Exception {
        ServiceRegistry registry = registry();
        TtrpcException e = assertThrows(TtrpcException.class, () -> registry.lookup(TaskHandlers.SERVICE, "State")
                .handle(call("State", "default"), new byte[] {(byte) 0xff, 0x01}));
        assertEquals(Code.INVALID_ARGUMENT, e.code());
    }
}
