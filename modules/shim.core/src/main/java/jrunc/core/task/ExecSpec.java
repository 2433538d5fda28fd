package jrunc.core.task;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import jrunc.core.json.JsonReader;
import jrunc.core.json.JsonReader.Token;
import jrunc.core.stdio.WindowSize;

/**
 * The OCI {@code Process} JSON an Exec hands to {@code runc exec --process}: the spec containerd sent, with its
 * {@code terminal} set from the request, as containerd's {@code Init.exec} does ({@code spec.Terminal = r.Terminal},
 * containerd v1.6.20 pkg/process/init.go) — a client may ask for a tty while the spec it copied says none, and runc
 * refuses a console socket for a process without a terminal. A window size asked for before Start goes in as
 * {@code consoleSize}, which runc sets on the pty before the process runs, so its first read sees it.
 */
final class ExecSpec {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private ExecSpec() {}

    /**
     * @param size the size to start the terminal with, or null to leave the spec's as it is
     * @throws TaskException INVALID_ARGUMENT when the spec is not a JSON object
     */
    static byte[] forRunc(byte[] processJson, boolean terminal, WindowSize size) throws TaskException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(processJson.length + 64);
        try (JsonReader p = JsonReader.of(processJson); JsonGenerator g = JSON.createGenerator(out)) {
            if (p.next() != Token.START_OBJECT) throw new IOException("not a JSON object");
            g.writeStartObject();
            while (p.next() == Token.FIELD_NAME) {
                String field = p.text();
                p.next();
                if (field.equals("terminal") || (size != null && terminal && field.equals("consoleSize"))) {
                    p.skipChildren();
                    continue;
                }
                g.writeFieldName(field);
                copyValue(p, g);
            }
            g.writeBooleanField("terminal", terminal);
            if (size != null && terminal) {
                g.writeObjectFieldStart("consoleSize");
                g.writeNumberField("height", size.height());
                g.writeNumberField("width", size.width());
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw TaskException.invalidArgument("exec process spec: " + e.getMessage());
        }
        return out.toByteArray();
    }

    /** The value the reader is at, and everything in it, as it was: numbers keep their text. */
    private static void copyValue(JsonReader p, JsonGenerator g) throws IOException {
        int depth = 0;
        while (true) {
            switch (p.current()) {
                case START_OBJECT -> {
                    g.writeStartObject();
                    depth++;
                }
                case START_ARRAY -> {
                    g.writeStartArray();
                    depth++;
                }
                case END_OBJECT -> {
                    g.writeEndObject();
                    depth--;
                }
                case END_ARRAY -> {
                    g.writeEndArray();
                    depth--;
                }
                case FIELD_NAME -> g.writeFieldName(p.text());
                case STRING -> g.writeString(p.text());
                case NUMBER -> g.writeNumber(p.text());
                case TRUE -> g.writeBoolean(true);
                case FALSE -> g.writeBoolean(false);
                case NULL -> g.writeNull();
            }
            if (depth == 0) return;
            p.next(); // inside a container: never null, a truncated input is an IOException
        }
    }
}
