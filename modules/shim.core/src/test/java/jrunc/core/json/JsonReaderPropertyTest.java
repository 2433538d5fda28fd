package jrunc.core.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import jrunc.core.fake.Gen;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link JsonReader} against jackson-core's parser, the reference it replaced: random documents (nesting, every
 * escape, non-ASCII and surrogate pairs, numbers at the edges, random whitespace, several root values) read to the
 * same tokens and texts, also when the input arrives a few bytes per read; the same documents with an ASCII byte
 * cut, changed or added are refused by both or read to the same tokens by both; a refusal is an IOException,
 * never anything else. One difference, on purpose: \\u escapes that leave a surrogate unpaired are refused (Jackson
 * lets a lone low surrogate through in a value, but not in a field name).
 */
class JsonReaderPropertyTest {
    private static final JsonFactory JACKSON = JsonFactory.builder().build();
    private static final String[] PIECES = {"a", "Z", "0", " ", "\"", "\\", "/", "\b", "\f", "\n", "\r", "\t", "\u0001",
        "\u001f", "é", "漢", "\uD83D\uDE00", "\u2028", "{", "}", "[", "]", ",", ":", "true", "null"};
    private static final String[] NUMBERS = {"0", "-0", "1", "-1", "2147483647", "-2147483648", "2147483648",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "0.5", "-0.0", "1e10", "1E+2", "1e-2",
        "123.456e-78", "3.141592653589793238462643383279"};
    private static final String WHITESPACE = " \t\n\r";
    private static final byte[] MUTATIONS = "{}[],:\"\\ 0-1.eEtfnulx".getBytes(StandardCharsets.US_ASCII);

    static Stream<Long> seeds() {
        return Gen.seeds(0x3500_0000L, 1500);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void readsWhatJacksonReads(long seed) throws IOException {
        Gen g = new Gen(seed);
        byte[] doc = document(g);
        List<String> expected = jackson(doc);
        assertEquals(expected, ours(JsonReader.of(doc)), new String(doc, StandardCharsets.UTF_8));
        assertEquals(expected, ours(JsonReader.of(trickle(doc, g.between(1, 7)))), "read a few bytes at a time");
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void refusesWhatJacksonRefusesAndNothingElse(long seed) throws IOException {
        Gen g = new Gen(seed);
        byte[] doc = mutate(g, document(g));
        String shown = new String(doc, StandardCharsets.UTF_8);
        List<String> reference;
        try {
            reference = jackson(doc);
        } catch (IOException refused) {
            reference = null;
        }
        if (reference != null && reference.stream().anyMatch(JsonReaderPropertyTest::hasUnpairedSurrogate)) reference = null;
        List<String> read;
        try {
            read = ours(JsonReader.of(doc));
        } catch (IOException refused) {
            read = null;
        } catch (RuntimeException e) {
            throw new AssertionError("not an IOException for " + shown, e);
        }
        assertEquals(reference, read, shown);
    }

    /** One to three root values, each a random value written by Jackson, with random whitespace between tokens. */
    private static byte[] document(Gen g) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0, n = g.oneIn(4) ? g.between(2, 3) : 1; i < n; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (JsonGenerator gen = JACKSON.createGenerator(out)) {
                if (g.oneIn(3)) gen.useDefaultPrettyPrinter();
                value(g, gen, 0);
            }
            sb.append(space(g)).append(out.toString(StandardCharsets.UTF_8)).append(space(g));
            if (i < n - 1 && sb.charAt(sb.length() - 1) != ' ') sb.append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void value(Gen g, JsonGenerator gen, int depth) throws IOException {
        switch (g.weighted(depth < 6 ? 3 : 0, depth < 6 ? 3 : 0, 4, 3, 1, 1)) {
            case 0 -> {
                gen.writeStartObject();
                for (int i = 0, n = g.between(0, 5); i < n; i++) {
                    gen.writeFieldName(text(g));
                    value(g, gen, depth + 1);
                }
                gen.writeEndObject();
            }
            case 1 -> {
                gen.writeStartArray();
                for (int i = 0, n = g.between(0, 5); i < n; i++) value(g, gen, depth + 1);
                gen.writeEndArray();
            }
            case 2 -> gen.writeString(text(g));
            case 3 -> gen.writeNumber(g.oneIn(2) ? g.pick(NUMBERS) : Long.toString(g.anyLong()));
            case 4 -> gen.writeBoolean(g.bool());
            default -> gen.writeNull();
        }
    }

    private static String text(Gen g) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0, n = g.between(0, 6); i < n; i++) sb.append(g.pick(PIECES));
        return sb.toString();
    }

    private static String space(Gen g) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0, n = g.between(0, 2); i < n; i++) sb.append(WHITESPACE.charAt(g.between(0, 3)));
        return sb.toString();
    }

    /** The document with one ASCII byte cut, replaced or inserted (never a broken UTF-8 sequence). */
    private static byte[] mutate(Gen g, byte[] doc) {
        List<Integer> boundaries = new ArrayList<>();
        for (int i = 0; i <= doc.length; i++) if (i == doc.length || (doc[i] & 0xc0) != 0x80) boundaries.add(i);
        int at = g.pick(boundaries);
        byte b = MUTATIONS[g.between(0, MUTATIONS.length - 1)];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int kind = g.between(0, 2);
        if (kind == 0 && at < doc.length && doc[at] >= 0) { // cut an ASCII byte
            out.write(doc, 0, at);
            out.write(doc, at + 1, doc.length - at - 1);
        } else if (kind == 1 && at < doc.length && doc[at] >= 0) {
            out.write(doc, 0, at);
            out.write(b);
            out.write(doc, at + 1, doc.length - at - 1);
        } else {
            out.write(doc, 0, at);
            out.write(b);
            out.write(doc, at, doc.length - at);
        }
        return out.toByteArray();
    }

    private static List<String> jackson(byte[] doc) throws IOException {
        List<String> tokens = new ArrayList<>();
        try (JsonParser p = JACKSON.createParser(doc)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                tokens.add(switch (t) {
                    case START_OBJECT -> "{";
                    case END_OBJECT -> "}";
                    case START_ARRAY -> "[";
                    case END_ARRAY -> "]";
                    case FIELD_NAME -> "name " + p.currentName();
                    case VALUE_STRING -> "string " + p.getText();
                    case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number " + p.getText();
                    case VALUE_TRUE -> "true";
                    case VALUE_FALSE -> "false";
                    case VALUE_NULL -> "null";
                    default -> fail("unexpected " + t);
                });
            }
        }
        return tokens;
    }

    private static List<String> ours(JsonReader p) throws IOException {
        List<String> tokens = new ArrayList<>();
        try (p) {
            JsonReader.Token t;
            while ((t = p.next()) != null) {
                tokens.add(switch (t) {
                    case START_OBJECT -> "{";
                    case END_OBJECT -> "}";
                    case START_ARRAY -> "[";
                    case END_ARRAY -> "]";
                    case FIELD_NAME -> "name " + p.text();
                    case STRING -> "string " + p.text();
                    case NUMBER -> "number " + p.text();
                    case TRUE -> "true";
                    case FALSE -> "false";
                    case NULL -> "null";
                });
                assertTrue(tokens.size() < 100_000, "runaway reader");
            }
        }
        return tokens;
    }

    private static boolean hasUnpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) i++;
            else if (Character.isSurrogate(c)) return true;
        }
        return false;
    }

    /** {@code doc} served at most {@code step} bytes per read. */
    private static InputStream trickle(byte[] doc, int step) {
        return new InputStream() {
            int at;

            @Override
            public int read() {
                return at < doc.length ? doc[at++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (at == doc.length) return -1;
                int n = Math.min(Math.min(len, step), doc.length - at);
                System.arraycopy(doc, at, b, off, n);
                at += n;
                return n;
            }
        };
    }
}
