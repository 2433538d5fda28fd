package jrunc.core.manager;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Which shim serves a container. containerd groups by OCI annotation: every container carrying the same
 * {@value #GROUP_ANNOTATION} (then {@value #SANDBOX_ANNOTATION}, which CRI sets on every container of a pod) shares one
 * shim process; without either, the task id is its own group.
 */
public final class Grouping {
    public static final String GROUP_ANNOTATION = "io.containerd.runc.v2.group";
    public static final String SANDBOX_ANNOTATION = "io.kubernetes.cri.sandbox-id";
    private static final JsonFactory JSON = new JsonFactory();

    private Grouping() {}

    /** The grouping key for a bundle's config.json bytes and task id. */
    public static String groupKey(byte[] configJson, String id) throws IOException {
        Map<String, String> annotations = annotations(configJson);
        String group = annotations.get(GROUP_ANNOTATION);
        if (group != null) return group;
        String sandbox = annotations.get(SANDBOX_ANNOTATION);
        return sandbox != null ? sandbox : id;
    }

    /**
     * The top-level {@code annotations} object of an OCI spec. Streams past everything else: a spec can be large (a
     * long env, many mounts) and this runs on every {@code start}.
     */
    public static Map<String, String> annotations(byte[] configJson) throws IOException {
        Map<String, String> out = new HashMap<>();
        try (JsonParser p = JSON.createParser(configJson)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException("config.json: not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("annotations") && value == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String key = p.currentName();
                        if (p.nextToken() == JsonToken.VALUE_STRING) out.put(key, p.getText());
                        else p.skipChildren();
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException("config.json: " + e.getOriginalMessage(), e);
        }
        return out;
    }
}
