package jrunc.core.task;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The spec's {@code linux.cgroupsPath}, which runc created the container's cgroup from: {@code /<ns>/<id>} from ctr,
 * {@code slice:prefix:name} with the systemd driver, or nothing. Stats reads the cgroup there.
 */
final class CgroupsPath {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private CgroupsPath() {}

    /** The path as written, or "" when the spec has none or cannot be read (the init's pid then locates the cgroup). */
    static String read(Path configJson) {
        try (JsonParser p = JSON.createParser(configJson.toFile())) {
            return find(p);
        } catch (IOException e) {
            return "";
        }
    }

    static String find(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) return "";
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            if (name.equals("linux") && p.currentToken() == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken value = p.nextToken();
                    if (field.equals("cgroupsPath") && value == JsonToken.VALUE_STRING) return p.getText();
                    p.skipChildren();
                }
                return "";
            }
            p.skipChildren();
        }
        return "";
    }
}
