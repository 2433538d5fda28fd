package jrunc.core.manager;

import java.io.IOException;
import java.nio.file.Path;
import jrunc.core.json.JsonReader;
import jrunc.core.json.JsonReader.Token;

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

    public static RuncStateFile parse(byte[] json) throws IOException {
        int pid = 0;
        long start = 0;
        Path bundle = null;
        try (JsonReader p = JsonReader.of(json)) {
            if (p.next() != Token.START_OBJECT) throw new IOException("not a JSON object");
            while (p.next() == Token.FIELD_NAME) {
                String field = p.text();
                Token t = p.next();
                switch (field) {
                    case "init_process_pid" -> {
                        if (t == Token.NUMBER) pid = p.intValue();
                        else p.skipChildren();
                    }
                    case "init_process_start" -> {
                        if (t == Token.NUMBER) start = p.longValue();
                        else p.skipChildren();
                    }
                    case "config" -> {
                        if (t != Token.START_OBJECT) {
                            p.skipChildren();
                            break;
                        }
                        while (p.next() == Token.FIELD_NAME) {
                            String key = p.text();
                            Token v = p.next();
                            if (key.equals("labels") && v == Token.START_ARRAY) {
                                while (p.next() == Token.STRING) {
                                    String label = p.text();
                                    if (label.startsWith("bundle=") && label.length() > "bundle=".length()) {
                                        bundle = Path.of(label.substring("bundle=".length()));
                                    }
                                }
                                if (p.current() != Token.END_ARRAY) p.skipChildren();
                            } else {
                                p.skipChildren();
                            }
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw new IOException(STATE_JSON + ": " + e.getMessage(), e);
        }
        return new RuncStateFile(pid, start, bundle);
    }
}
