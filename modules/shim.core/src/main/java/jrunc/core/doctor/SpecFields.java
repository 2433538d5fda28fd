package jrunc.core.doctor;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The few fields the doctor reads from a bundle's {@code config.json} and from runc's {@code state.json}. Streaming
 * (jackson-core), because a node may hold a thousand bundles and we want three values out of each.
 */
public final class SpecFields {
    /** Grouping annotations, in the order the runc shim tries them (containerd v1.6.20
     * runtime/v2/runc/manager/manager_linux.go, readSpec and groupLabels). */
    static final String GROUP = "io.containerd.runc.v2.group", SANDBOX = "io.kubernetes.cri.sandbox-id";
    private static final JsonFactory JSON = new JsonFactory();

    private SpecFields() {}

    /** From config.json: the group key annotation (null when none) and {@code linux.cgroupsPath} (null when none). */
    public record Config(String group, String cgroupsPath) {}

    /** From runc's state.json: {@code init_process_pid} and {@code init_process_start} (0 when absent). */
    public record RuncInit(int pid, long startTicks) {}

    public static Config config(String json) throws IOException {
        String group = null, sandbox = null, cgroups = null;
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException("config.json: not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if (field.equals("annotations") && t == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String key = p.currentName();
                        p.nextToken();
                        if (key.equals(GROUP)) group = p.getValueAsString();
                        else if (key.equals(SANDBOX)) sandbox = p.getValueAsString();
                        else p.skipChildren();
                    }
                } else if (field.equals("linux") && t == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String key = p.currentName();
                        p.nextToken();
                        if (key.equals("cgroupsPath")) cgroups = p.getValueAsString();
                        else p.skipChildren();
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
        return new Config(group != null && !group.isEmpty() ? group : emptyToNull(sandbox), emptyToNull(cgroups));
    }

    public static RuncInit runcState(String json) throws IOException {
        int pid = 0;
        long start = 0;
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException("state.json: not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "init_process_pid" -> pid = p.getValueAsInt();
                    case "init_process_start" -> start = p.getValueAsLong();
                    default -> p.skipChildren();
                }
            }
        }
        return new RuncInit(pid, start);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
