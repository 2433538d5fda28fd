package jrunc.core.runc;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import jrunc.core.json.JsonReader;
import jrunc.core.json.JsonReader.Token;

/** The output of {@code runc ps --format json}: a JSON array of pids ({@code null} when there are none). */
final class PidList {
    private PidList() {}

    static List<Integer> parse(byte[] json) throws IOException {
        List<Integer> pids = new ArrayList<>();
        try (JsonReader p = JsonReader.of(json)) {
            Token first = p.next();
            if (first == null || first == Token.NULL) return pids;
            if (first != Token.START_ARRAY) throw new IOException("expected a JSON array of pids");
            Token t;
            while ((t = p.next()) != Token.END_ARRAY) {
                if (t != Token.NUMBER) throw new IOException("expected a pid, got " + t);
                pids.add(p.intValue());
            }
        }
        return pids;
    }
}
