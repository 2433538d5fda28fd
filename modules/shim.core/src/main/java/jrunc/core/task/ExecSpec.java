package jrunc.core.task;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
        try (JsonParser p = JSON.createParser(processJson); JsonGenerator g = JSON.createGenerator(out)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException("not a JSON object");
            g.writeStartObject();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("terminal") || (size != null && terminal && field.equals("consoleSize"))) {
                    p.skipChildren();
                    continue;
                }
                g.writeFieldName(field);
                g.copyCurrentStructure(p);
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
}
