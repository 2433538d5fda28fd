package jrunc.core.runc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The output of {@code runc ps --format json}: a JSON array of pids ({@code null} when there are none). */
final class PidList {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private PidList() {}

    static List<Integer> parse(byte[] json) throws IOException {
        List<Integer> pids = new ArrayList<>();
        try (JsonParser p = JSON.createParser(json)) {
            JsonToken first = p.nextToken();
            if (first == null || first == JsonToken.VALUE_NULL) return pids;
            if (first != JsonToken.START_ARRAY) throw new IOException("expected a JSON array of pids");
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t != JsonToken.VALUE_NUMBER_INT) throw new IOException("expected a pid, got " + t);
                pids.add(p.getIntValue());
            }
        }
        return pids;
    }
}
