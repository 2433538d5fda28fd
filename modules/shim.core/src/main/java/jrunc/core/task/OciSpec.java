package jrunc.core.task;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Path;

/** What the Task service needs from the bundle's {@code config.json}, read with a streaming parser. */
final class OciSpec {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private OciSpec() {}

    /**
     * containerd's {@code ShouldKillAllOnExit} ({@code pkg/process/utils.go}, v1.6.20): when the container shares a
     * PID namespace (none of its own, or one joined by path), killing the init does not take its other processes
     * with it, so the shim must {@code runc kill --all} them. Only a new PID namespace (a {@code pid} entry with no
     * {@code path}) makes the kernel do it. An unreadable spec answers true, as containerd does.
     */
    static boolean shouldKillAllOnExit(Path configJson) {
        try (JsonParser p = JSON.createParser(configJson.toFile())) {
            return !hasNewPidNamespace(p);
        } catch (IOException e) {
            return true;
        }
    }

    static boolean hasNewPidNamespace(JsonParser p) throws IOException {
        if (!enterLinux(p)) return false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            if (field.equals("namespaces") && p.currentToken() == JsonToken.START_ARRAY) {
                if (namespacesHaveNewPid(p)) return true;
            } else {
                p.skipChildren();
            }
        }
        return false;
    }

    private static boolean namespacesHaveNewPid(JsonParser p) throws IOException {
        boolean found = false;
        while (p.nextToken() == JsonToken.START_OBJECT) {
            String type = null, path = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (value == JsonToken.VALUE_STRING && field.equals("type")) type = p.getText();
                else if (value == JsonToken.VALUE_STRING && field.equals("path")) path = p.getText();
                else p.skipChildren();
            }
            if ("pid".equals(type) && (path == null || path.isEmpty())) found = true;
        }
        return found;
    }

    /**
     * The spec's {@code linux.cgroupsPath}, which runc created the container's cgroup from: {@code /<ns>/<id>} from
     * ctr, {@code slice:prefix:name} with the systemd driver, or nothing. Stats reads the cgroup there. "" when the
     * spec has none or cannot be read (the init's pid then locates the cgroup).
     */
    static String cgroupsPath(Path configJson) {
        try (JsonParser p = JSON.createParser(configJson.toFile())) {
            return findCgroupsPath(p);
        } catch (IOException e) {
            return "";
        }
    }

    static String findCgroupsPath(JsonParser p) throws IOException {
        if (!enterLinux(p)) return "";
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (field.equals("cgroupsPath") && value == JsonToken.VALUE_STRING) return p.getText();
            p.skipChildren();
        }
        return "";
    }

    /** Moves {@code p} into the spec's top-level {@code linux} object; false when the spec has none. */
    private static boolean enterLinux(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) return false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            if (name.equals("linux") && p.currentToken() == JsonToken.START_OBJECT) return true;
            p.skipChildren();
        }
        return false;
    }
}
