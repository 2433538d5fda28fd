package jrunc.core.task;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Task service as its unit tests run it: over the fake kernel, with a scripted runc answering in the fake reaper,
 * a bundle holding {@code config.json}, and the events and Shutdown calls recorded.
 */
final class TaskFixture {
    /** A container with its own PID namespace: the kernel, not {@code runc kill --all}, ends the rest on init's exit. */
    static final String NEW_PID_NS = "{\"ociVersion\":\"1.0.2\",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"}]}}";

    final Path bundle;
    final Path tmp;
    final FakeOperatingSystem os = new FakeOperatingSystem();
    final FakeRunc runc = new FakeRunc(os);
    final RecordingEvents events = new RecordingEvents();
    final AtomicInteger shutdowns = new AtomicInteger();
    final TaskService service;

    TaskFixture(Path dir, String configJson) throws IOException {
        bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.writeString(bundle.resolve("config.json"), configJson);
        tmp = Files.createDirectories(dir.resolve("tmp"));
        os.reaper.script(runc);
        service = new TaskService(os, events, "default", shutdowns::incrementAndGet, tmp);
    }
}
