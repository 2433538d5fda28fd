package jrunc.core.manager;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The few fields of runc's {@code <root>/<id>/state.json} that tie a container to its process and its bundle: the
 * init's pid and start time (clock ticks since boot, field 22 of /proc/pid/stat), and the {@code bundle=} label runc
 * records from the directory it was created in (runc's specconv, {@code CreateLibcontainerConfig}). The runc root
 * is shared by every containerd on a node, so that label is what says whose container it is.
 *
 * @param initPid   {@code init_process_pid}, 0 when absent
 * @param initStart {@code init_process_start}, 0 when absent
 * @param bundle    the {@code bundle=} label of {@code config.labels}, null when absent
 */
public record RuncStateFile(int initPid, long initStart, Path bundle) {
    public static final String STATE_JSON = "state.json";
    /** runc writes the whole container config into state.json; a large spec makes a large file. */
    public static final int MAX_BYTES = 16 << 20;
    private static final JsonFactory JSON = JsonFactory.builder().build();

    public static RuncStateFile parse(byte[] json) throws IOException {
        int pid = 0;
        long start = 0;
        Path bundle = null;
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException(STATE_JSON + ": not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "init_process_pid" -> pid = p.getValueAsInt();
                    case "init_process_start" -> start = p.getValueAsLong();
                    case "config" -> {
                        if (t != JsonToken.START_OBJECT) {
                            p.skipChildren();
                            break;
                        }
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String key = p.currentName();
                            JsonToken v = p.nextToken();
                            if (key.equals("labels") && v == JsonToken.START_ARRAY) {
                                while (p.nextToken() == JsonToken.VALUE_STRING) {
                                    String label = p.getText();
                                    if (label.startsWith("bundle=") && label.length() > "bundle=".length()) {
                                        bundle = Path.of(label.substring("bundle=".length()));
                                    }
                                }
                                if (p.currentToken() != JsonToken.END_ARRAY) p.skipChildren();
                            } else {
                                p.skipChildren();
                            }
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException | java.nio.file.InvalidPathException e) {
            throw new IOException(STATE_JSON + ": " + e.getMessage(), e);
        }
        return new RuncStateFile(pid, start, bundle);
    }
}
