package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GroupingTest {

    private static byte[] spec(String annotations) {
        return ("{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"env\":[\"A=1\"]},"
                + "\"annotations\":{" + annotations + "},\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void groupAnnotationWins() throws IOException {
        assertEquals("g1", Grouping.groupKey(spec("\"io.kubernetes.cri.sandbox-id\":\"sb\",\"io.containerd.runc.v2.group\":\"g1\""), "c1"));
    }

    @Test
    void sandboxIdGroupsAPod() throws IOException {
        assertEquals("sb", Grouping.groupKey(spec("\"io.kubernetes.cri.sandbox-id\":\"sb\""), "c1"));
    }

    @Test
    void withoutAnnotationsTheTaskIsItsOwnGroup() throws IOException {
        assertEquals("c1", Grouping.groupKey(spec(""), "c1"));
        assertEquals("c1", Grouping.groupKey("{}".getBytes(StandardCharsets.UTF_8), "c1"));
    }

    @Test
    void nestedAnnotationsDoNotCount() throws IOException {
        byte[] json = "{\"process\":{\"annotations\":{\"io.containerd.runc.v2.group\":\"no\"}}}".getBytes(StandardCharsets.UTF_8);
        assertEquals("c1", Grouping.groupKey(json, "c1"));
    }

    @Test
    void malformedSpecIsAClearError() {
        IOException e = assertThrows(IOException.class, () -> Grouping.groupKey("{\"annotations\":".getBytes(StandardCharsets.UTF_8), "c1"));
        assertEquals(true, e.getMessage().startsWith("config.json"));
        assertThrows(IOException.class, () -> Grouping.groupKey("[]".getBytes(StandardCharsets.UTF_8), "c1"));
    }
}
