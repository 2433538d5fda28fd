package jrunc.core.task;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import jrunc.core.ttrpc.CallContext;
import jrunc.core.fake.FakeOperatingSystem;
import jrunc.core.fake.FakeRunc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Task service as its unit tests run it: over the fake kernel, with a scripted runc answering in the fake reaper,
 * a bundle holding {@link #configJson()}, and the events and Shutdown calls recorded.
 */
abstract class TaskServiceTestCase {
    /** A call with no namespace metadata and no deadline. */
    static final CallContext CALL = new CallContext(TaskHandlers.SERVICE, "test", Map.of(), Long.MAX_VALUE);
    /** A container with its own PID namespace: the kernel, not {@code runc kill --all}, ends the rest on init's exit. */
    static final String NEW_PID_NS = "{\"ociVersion\":\"1.0.2\",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"}]}}";

    @TempDir
    Path dir;
    Path bundle;
    Path tmp;
    FakeOperatingSystem os;
    FakeRunc runc;
    RecordingEvents events;
    AtomicInteger shutdowns;
    TaskService service;

    /** The bundle's {@code config.json}. */
    String configJson() {
        return NEW_PID_NS;
    }

    /** The OCI Process JSON containerd sends with an Exec. */
    static final com.google.protobuf.Any PROCESS_SPEC = com.google.protobuf.Any.newBuilder()
            .setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/Process")
            .setValue(com.google.protobuf.ByteString.copyFromUtf8("{\"args\":[\"sh\"]}")).build();

    /** A call made in {@code namespace}. */
    static CallContext in(String namespace) {
        return new CallContext(TaskHandlers.SERVICE, "test", Map.of(CallContext.NAMESPACE_KEY, List.of(namespace)), Long.MAX_VALUE);
    }

    @BeforeEach
    void setUpTaskService() throws Exception {
        bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), configJson());
        tmp = Files.createDirectories(dir.resolve("tmp"));
        os = new FakeOperatingSystem();
        runc = new FakeRunc(os);
        os.reaper.script(runc);
        events = new RecordingEvents();
        shutdowns = new AtomicInteger();
        service = new TaskService(os, events, "default", shutdowns::incrementAndGet, tmp);
    }

    @AfterEach
    void closeTaskService() {
        service.close();
    }
}
