package jrunc.core.runc;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuncLogTest {
    @TempDir
    Path dir;

    @Test
    void lastErrorLevelMessageWins() throws Exception {
        Path file = Files.writeString(dir.resolve("log.json"), """
                {"level":"warning","msg":"cgroup v1 is deprecated","time":"2024-01-01T00:00:00Z"}
                {"level":"error","msg":"first error","time":"2024-01-01T00:00:01Z"}
                {"level":"info","msg":"later info","time":"2024-01-01T00:00:02Z"}
                {"level":"error","msg":"runc run failed: unable to start container process: exec: \\"sh\\": not found","time":"2024-01-01T00:00:03Z"}
                {"level":"debug","msg":"done","time":"2024-01-01T00:00:04Z"}
                """);
        assertEquals("runc run failed: unable to start container process: exec: \"sh\": not found", new RuncLog(file).lastError(0));
    }

    @Test
    void onlyWhatWasWrittenAfterTheOffsetCounts() throws Exception {
        String old = "{\"level\":\"error\",\"msg\":\"old\"}\n";
        Path file = Files.writeString(dir.resolve("log.json"), old + "{\"level\":\"info\",\"msg\":\"fine\"}\n");
        RuncLog log = new RuncLog(file);
        assertEquals("old", log.lastError(0));
        assertEquals("", log.lastError(old.length()));
    }

    @Test
    void aTruncatedTailKeepsWhatCameBefore() throws Exception {
        Path file = Files.writeString(dir.resolve("log.json"), "{\"level\":\"error\",\"msg\":\"complete\"}\n{\"level\":\"error\",\"ms");
        assertEquals("complete", new RuncLog(file).lastError(0));
    }

    @Test
    void aMissingLogHasNoError() {
        assertEquals("", new RuncLog(dir.resolve("absent.json")).lastError(0));
        assertEquals(0, new RuncLog(dir.resolve("absent.json")).size());
    }

    @Test
    void nestedFieldsAreSkipped() throws Exception {
        Path file = Files.writeString(dir.resolve("log.json"), "{\"fields\":{\"level\":\"info\"},\"level\":\"error\",\"msg\":\"real\"}\n");
        assertEquals("real", new RuncLog(file).lastError(0));
    }
}
