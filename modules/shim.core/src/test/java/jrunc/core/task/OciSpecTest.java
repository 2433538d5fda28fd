package jrunc.core.task;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import jrunc.core.fake.FakeOperatingSystem;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OciSpecTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} → kill all: {1}")
    @CsvSource(delimiter = '|', value = {
            "{\"linux\":{\"namespaces\":[{\"type\":\"mount\"},{\"type\":\"pid\"}]}}|false",
            "{\"process\":{\"args\":[\"sh\"]},\"linux\":{\"resources\":{\"devices\":[]},\"namespaces\":[{\"type\":\"pid\",\"path\":\"\"}]}}|false",
            "{\"linux\":{\"namespaces\":[{\"type\":\"pid\",\"path\":\"/proc/1/ns/pid\"}]}}|true",
            "{\"linux\":{\"namespaces\":[{\"type\":\"network\"}]}}|true",
            "{\"linux\":{}}|true",
            "{}|true",
            "not json|true"})
    void killAllUnlessTheContainerHasANewPidNamespace(String config, boolean killAll) throws Exception {
        Files.writeString(dir.resolve("config.json"), config);
        assertEquals(killAll, OciSpec.shouldKillAllOnExit(new FakeOperatingSystem(), dir));
    }

    @org.junit.jupiter.api.Test
    void aMissingSpecMeansKillAll() {
        assertTrue(OciSpec.shouldKillAllOnExit(new FakeOperatingSystem(), dir));
    }
}
