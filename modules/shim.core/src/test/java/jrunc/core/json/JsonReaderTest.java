package jrunc.core.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import jrunc.core.json.JsonReader.Token;
import org.junit.jupiter.api.Test;

class JsonReaderTest {
    @Test
    void nestingDeeperThanTheLimitIsRefusedWithoutExhaustingTheStack() {
        String deep = "[".repeat(JsonReader.MAX_DEPTH + 1) + "]".repeat(JsonReader.MAX_DEPTH + 1);
        IOException e = assertThrows(IOException.class, () -> readAll(deep));
        assertTrue(e.getMessage().contains("nested deeper than " + JsonReader.MAX_DEPTH), e.getMessage());
        String limit = "[".repeat(JsonReader.MAX_DEPTH) + "]".repeat(JsonReader.MAX_DEPTH);
        assertEquals(2 * JsonReader.MAX_DEPTH, assertDoesNotThrowCount(limit));
    }

    @Test
    void aNumberLongerThanTheLimitIsRefused() {
        IOException e = assertThrows(IOException.class, () -> readAll("1".repeat(JsonReader.MAX_NUMBER_LENGTH + 1)));
        assertTrue(e.getMessage().contains("number longer than"), e.getMessage());
    }

    @Test
    void integersOutsideTheirTypeAreRefusedNotWrapped() throws IOException {
        try (JsonReader r = reader("[2147483648, 9223372036854775808, 1.5, 7]")) {
            r.next();
            r.next();
            assertEquals(2147483648L, r.longValue());
            assertThrows(IOException.class, r::intValue);
            r.next();
            assertThrows(IOException.class, r::longValue);
            r.next();
            assertThrows(IOException.class, r::longValue);
            r.next();
            assertEquals(7, r.intValue());
        }
    }

    @Test
    void errorsNameTheLineAndColumnAndWhatWasFound() {
        IOException e = assertThrows(IOException.class, () -> readAll("{\n  \"a\": tru }"));
        assertEquals("line 2 column 11: expected 'e' of a literal, found ' '", e.getMessage());
        e = assertThrows(IOException.class, () -> readAll("{\"a\": 1"));
        assertEquals("line 1 column 7: expected ',' or '}', found the end of the input", e.getMessage());
        e = assertThrows(IOException.class, () -> readAll("\"tab\there\""));
        assertTrue(e.getMessage().contains("no control character inside a string, found byte 0x9"), e.getMessage());
    }

    @Test
    void skipChildrenLeavesTheReaderAfterTheValue() throws IOException {
        try (JsonReader r = reader("{\"skip\": {\"a\": [1, {\"b\": []}]}, \"keep\": \"x\"}")) {
            assertEquals(Token.START_OBJECT, r.next());
            assertEquals(Token.FIELD_NAME, r.next());
            assertEquals(Token.START_OBJECT, r.next());
            r.skipChildren();
            assertEquals(Token.END_OBJECT, r.current());
            assertEquals(Token.FIELD_NAME, r.next());
            assertEquals("keep", r.text());
            assertEquals(Token.STRING, r.next());
            assertEquals("x", r.text());
            assertEquals(Token.END_OBJECT, r.next());
            assertNull(r.next());
        }
    }

    @Test
    void escapesAndSurrogatePairsDecode() throws IOException {
        try (JsonReader r = reader("\"a\\u00e9\\ud83d\\ude00\\n\\\"é\"")) {
            r.next();
            assertEquals("aé\uD83D\uDE00\n\"é", r.text());
        }
        assertThrows(IOException.class, () -> readAll("\"\\ud83d\""));
        assertThrows(IOException.class, () -> readAll("\"\\ude00\""));
    }

    private static int assertDoesNotThrowCount(String json) {
        try {
            return readAll(json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static int readAll(String json) throws IOException {
        int n = 0;
        try (JsonReader r = reader(json)) {
            while (r.next() != null) n++;
        }
        return n;
    }

    private static JsonReader reader(String json) {
        return JsonReader.of(json.getBytes(StandardCharsets.UTF_8));
    }
}
