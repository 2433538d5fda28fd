package jrunc.core.task;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.Any;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jrunc.core.fake.FakeOperatingSystem;
import jrunc.core.ttrpc.Code;
import jrunc.proto.cgroups.v1.Metrics;
import jrunc.proto.cgroups.v1.PidsStat;
import jrunc.proto.task.CreateTaskRequest;
import jrunc.proto.task.StartRequest;
import jrunc.proto.task.StatsRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Stats: the cgroup is located from the spec or the live init, and its metrics go out as a bare-named Any. */
class TaskStatsTest extends TaskServiceTestCase {
    private static final Metrics METRICS = Metrics.newBuilder()
            .setPids(PidsStat.newBuilder().setCurrent(1).setLimit(0)).build();

    @Override
    String configJson() {
        return "{\"ociVersion\":\"1.0.2\",\"linux\":{\"cgroupsPath\":\"/default/c1\",\"namespaces\":[{\"type\":\"pid\"}]}}";
    }

    private int createAndStart() throws TaskException {
        service.create(CALL, CreateTaskRequest.newBuilder().setId("c1").setBundle(bundle.toString()).build());
        return service.start(CALL, StartRequest.newBuilder().setId("c1").build()).getPid();
    }

    private Any stats() throws TaskException {
        return service.stats(CALL, StatsRequest.newBuilder().setId("c1").build()).getStats();
    }

    @Test
    void metricsOfTheRunningTaskAreAnsweredUnderTheBareCgroupsTypeName() throws Exception {
        int pid = createAndStart();
        os.cgroupMetrics = METRICS;

        Any stats = stats();

        assertEquals("io.containerd.cgroups.v1.Metrics", stats.getTypeUrl());
        assertEquals(METRICS, Metrics.parseFrom(stats.getValue()));
        assertEquals(List.of(new FakeOperatingSystem.CgroupQuery("/default/c1", pid)), os.cgroupQueries);
    }

    @Test
    void anExitedInitIsNotLocatedByItsPidAnyMore() throws Exception {
        int pid = createAndStart();
        os.cgroupMetrics = METRICS;
        os.reaper.exit(pid, 0);
        service.await(CALL, jrunc.proto.task.WaitRequest.newBuilder().setId("c1").build());

        stats();

        assertEquals(0, os.cgroupQueries.getLast().pid(), "a reaped pid may be reused by another process");
    }

    @Test
    void unknownTaskIsNotFound() {
        TaskException e = assertThrows(TaskException.class, this::stats);
        assertEquals(Code.NOT_FOUND, e.code());
    }

    @Test
    void aCgroupThatIsGoneIsNotFound() throws Exception {
        createAndStart();
        os.cgroupMetrics = null;
        TaskException e = assertThrows(TaskException.class, this::stats);
        assertEquals(Code.NOT_FOUND, e.code());
        assertTrue(e.getMessage().contains("cgroup"), e.getMessage());
    }

    @ParameterizedTest(name = "{0} → \"{1}\"")
    @CsvSource(delimiter = '|', value = {
            "{\"linux\":{\"cgroupsPath\":\"/default/c1\"}}|/default/c1",
            "{\"process\":{\"args\":[\"sh\"]},\"linux\":{\"resources\":{\"memory\":{}},\"cgroupsPath\":\"system.slice:cri:c1\"}}|system.slice:cri:c1",
            "{\"linux\":{\"namespaces\":[]}}|''",
            "{}|''",
            "not json|''"})
    void cgroupsPathIsReadFromTheSpec(String config, String expected) throws Exception {
        Files.writeString(dir.resolve("config.json"), config);
        assertEquals(expected, OciSpec.cgroupsPath(new FakeOperatingSystem(), dir));
    }
}
