package jrunc.core.json;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A pull reader of JSON (RFC 8259), one token at a time, for the few fields the shim reads from the files runc and
 * containerd write: {@code config.json}, {@code options.json}, runc's {@code state.json} and {@code log.json},
 * {@code bootstrap.json}, {@code runc ps} output, an exec's process spec. Several root values in a row (runc's
 * JSON-lines log) are read one after the other.
 *
 * <p>Why not jackson-core's parser, which the shim used before: every jackson-core parser initialises
 * {@code java.math.BigDecimal}, whose static initialiser on JDK 25 computes 5^65536 in the interpreter, about 15 ms.
 * The shim's {@code start} and {@code delete} each read one small file and containerd waits for both on every
 * container. jackson-core still writes the JSON the shim writes.
 *
 * <p>Strict where it matters for hostile input: nesting is limited to {@value #MAX_DEPTH}, a number to
 * {@value #MAX_NUMBER_LENGTH} characters, control characters inside strings and anything that is not JSON are
 * errors that name the line and column. Numbers are kept as their text; {@link #intValue} and {@link #longValue}
 * refuse what does not fit.
 */
public final class JsonReader implements AutoCloseable {
    /** What {@link #next} read. */
    public enum Token { START_OBJECT, END_OBJECT, START_ARRAY, END_ARRAY, FIELD_NAME, STRING, NUMBER, TRUE, FALSE, NULL }

    public static final int MAX_DEPTH = 512;
    public static final int MAX_NUMBER_LENGTH = 1000;

    // what may come next inside the innermost container
    private static final byte IN_OBJECT_FIRST = 1, IN_OBJECT_AFTER_NAME = 2, IN_OBJECT_AFTER_VALUE = 3,
            IN_ARRAY_FIRST = 4, IN_ARRAY_AFTER_VALUE = 5;

    private final InputStream in;
    private final byte[] buffer = new byte[8192];
    private int position, limit;
    private boolean eof;
    private int line = 1, column;

    private byte[] stack = new byte[16];
    private int depth;
    private Token current;
    private String text;
    private byte[] chars = new byte[64];

    private JsonReader(InputStream in) {
        this.in = in;
    }

    public static JsonReader of(byte[] json) {
        return new JsonReader(new ByteArrayInputStream(json));
    }

    /** Reads {@code in} as it goes; {@link #close} closes it. */
    public static JsonReader of(InputStream in) {
        return new JsonReader(in);
    }

    /** The next token, or null at the end of the input after a complete value. */
    public Token next() throws IOException {
        text = null;
        int c = skipWhitespace();
        if (depth == 0) {
            if (c < 0) return current = null;
            return current = value(c);
        }
        byte state = stack[depth - 1];
        switch (state) {
            case IN_OBJECT_FIRST, IN_OBJECT_AFTER_VALUE -> {
                if (c == '}') {
                    depth--;
                    return current = Token.END_OBJECT;
                }
                if (state == IN_OBJECT_AFTER_VALUE) {
                    if (c != ',') throw error(c, "',' or '}'");
                    c = skipWhitespace();
                }
                if (c != '"') throw error(c, "a field name");
                text = string();
                int colon = skipWhitespace();
                if (colon != ':') throw error(colon, "':'");
                stack[depth - 1] = IN_OBJECT_AFTER_NAME;
                return current = Token.FIELD_NAME;
            }
            case IN_OBJECT_AFTER_NAME -> {
                stack[depth - 1] = IN_OBJECT_AFTER_VALUE;
                return current = value(c);
            }
            default -> {
                if (c == ']') {
                    depth--;
                    return current = Token.END_ARRAY;
                }
                if (state == IN_ARRAY_AFTER_VALUE) {
                    if (c != ',') throw error(c, "',' or ']'");
                    c = skipWhitespace();
                }
                stack[depth - 1] = IN_ARRAY_AFTER_VALUE;
                return current = value(c);
            }
        }
    }

    /** The token {@link #next} returned last, null before the first and at the end. */
    public Token current() {
        return current;
    }

    /** The field name at {@link Token#FIELD_NAME}, the text of a {@link Token#STRING} or a {@link Token#NUMBER}. */
    public String text() {
        if (text == null) throw new IllegalStateException("no text at " + current);
        return text;
    }

    /** True at {@link Token#TRUE} or {@link Token#FALSE}. */
    public boolean isBoolean() {
        return current == Token.TRUE || current == Token.FALSE;
    }

    /** A {@link Token#NUMBER} without fraction or exponent that fits an int. */
    public int intValue() throws IOException {
        long value = longValue();
        if (value != (int) value) throw new IOException("number " + text + " does not fit a 32-bit integer");
        return (int) value;
    }

    /** A {@link Token#NUMBER} without fraction or exponent that fits a long. */
    public long longValue() throws IOException {
        if (current != Token.NUMBER) throw new IOException("expected a number, found " + current);
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IOException("number " + text + " is not a 64-bit integer");
        }
    }

    /** At {@link Token#START_OBJECT} or {@link Token#START_ARRAY}: reads up to its end. Otherwise nothing. */
    public void skipChildren() throws IOException {
        if (current != Token.START_OBJECT && current != Token.START_ARRAY) return;
        int until = depth - 1;
        while (depth > until) {
            if (next() == null) throw new IOException("input ends inside a value");
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    private Token value(int c) throws IOException {
        switch (c) {
            case '{' -> {
                push(IN_OBJECT_FIRST);
                return Token.START_OBJECT;
            }
            case '[' -> {
                push(IN_ARRAY_FIRST);
                return Token.START_ARRAY;
            }
            case '"' -> {
                text = string();
                return Token.STRING;
            }
            case 't' -> {
                literal("rue");
                return Token.TRUE;
            }
            case 'f' -> {
                literal("alse");
                return Token.FALSE;
            }
            case 'n' -> {
                literal("ull");
                return Token.NULL;
            }
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    text = number(c);
                    return Token.NUMBER;
                }
                throw error(c, "a value");
            }
        }
    }

    private void push(byte state) throws IOException {
        if (depth == MAX_DEPTH) throw new IOException(where() + ": nested deeper than " + MAX_DEPTH);
        if (depth == stack.length) stack = Arrays.copyOf(stack, depth * 2);
        stack[depth++] = state;
    }

    private void literal(String rest) throws IOException {
        for (int i = 0; i < rest.length(); i++) {
            int c = read();
            if (c != rest.charAt(i)) throw error(c, "'" + rest.charAt(i) + "' of a literal");
        }
        int after = peek();
        if (after >= 0 && !isDelimiter(after)) throw error(read(), "a delimiter after a literal");
    }

    private String number(int first) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c = first;
        if (c == '-') {
            sb.append('-');
            c = read();
        }
        if (c == '0') {
            sb.append('0');
        } else if (c >= '1' && c <= '9') {
            sb.append((char) c);
            digits(sb);
        } else {
            throw error(c, "a digit");
        }
        if (peek() == '.') {
            sb.append((char) read());
            int d = read();
            if (d < '0' || d > '9') throw error(d, "a digit after '.'");
            sb.append((char) d);
            digits(sb);
        }
        if (peek() == 'e' || peek() == 'E') {
            sb.append((char) read());
            if (peek() == '+' || peek() == '-') sb.append((char) read());
            int d = read();
            if (d < '0' || d > '9') throw error(d, "a digit in the exponent");
            sb.append((char) d);
            digits(sb);
        }
        int after = peek();
        if (after >= 0 && !isDelimiter(after)) throw error(read(), "a delimiter after a number");
        if (sb.length() > MAX_NUMBER_LENGTH) throw new IOException(where() + ": number longer than " + MAX_NUMBER_LENGTH);
        return sb.toString();
    }

    private void digits(StringBuilder sb) throws IOException {
        while (peek() >= '0' && peek() <= '9') {
            sb.append((char) read());
            if (sb.length() > MAX_NUMBER_LENGTH) throw new IOException(where() + ": number longer than " + MAX_NUMBER_LENGTH);
        }
    }

    /**
     * After the opening quote: the string, escapes resolved. Raw bytes are UTF-8 (decoded a run at a time: an escape
     * never splits a sequence, it starts with an ASCII backslash); escapes must make valid UTF-16, a surrogate pair
     * or none.
     */
    private String string() throws IOException {
        StringBuilder sb = null;
        int n = 0;
        while (true) {
            int c = read();
            if (c < 0) throw new IOException(where() + ": input ends inside a string");
            if (c == '"') break;
            if (c < 0x20) throw error(c, "no control character inside a string");
            if (c != '\\') {
                n = append(n, (byte) c);
                continue;
            }
            if (sb == null) sb = new StringBuilder(n + 16);
            sb.append(new String(chars, 0, n, StandardCharsets.UTF_8));
            n = 0;
            int e = read();
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> unicodeEscape(sb);
                default -> throw error(e, "an escape (one of \"\\/bfnrtu)");
            }
        }
        String tail = new String(chars, 0, n, StandardCharsets.UTF_8);
        return sb == null ? tail : sb.append(tail).toString();
    }

    /** After {@code \\u}: a code unit that is no surrogate, or a high surrogate and the escape of its low one. */
    private void unicodeEscape(StringBuilder sb) throws IOException {
        char unit = (char) hex4();
        if (Character.isLowSurrogate(unit)) throw new IOException(where() + ": a low surrogate \\u escape without its high one");
        sb.append(unit);
        if (!Character.isHighSurrogate(unit)) return;
        if (read() != '\\' || read() != 'u') throw new IOException(where() + ": a high surrogate \\u escape without its low one");
        char low = (char) hex4();
        if (!Character.isLowSurrogate(low)) throw new IOException(where() + ": a high surrogate \\u escape without its low one");
        sb.append(low);
    }

    private int hex4() throws IOException {
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int c = read();
            int digit = Character.digit(c < 0 ? -1 : (char) c, 16);
            if (digit < 0) throw error(c, "a hex digit of a \\u escape");
            value = value << 4 | digit;
        }
        return value;
    }

    private int append(int n, byte b) {
        if (n == chars.length) chars = Arrays.copyOf(chars, n * 2);
        chars[n] = b;
        return n + 1;
    }

    private static boolean isDelimiter(int c) {
        return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    private int skipWhitespace() throws IOException {
        int c;
        do {
            c = read();
        } while (c == ' ' || c == '\t' || c == '\n' || c == '\r');
        return c;
    }

    private int read() throws IOException {
        if (position == limit && !fill()) return -1;
        int c = buffer[position++] & 0xff;
        if (c == '\n') {
            line++;
            column = 0;
        } else {
            column++;
        }
        return c;
    }

    private int peek() throws IOException {
        if (position == limit && !fill()) return -1;
        return buffer[position] & 0xff;
    }

    private boolean fill() throws IOException {
        if (eof) return false;
        int n = in.read(buffer, 0, buffer.length);
        if (n <= 0) {
            eof = n < 0;
            if (n == 0) throw new IOException("read returned nothing");
            return false;
        }
        position = 0;
        limit = n;
        return true;
    }

    private IOException error(int found, String expected) {
        String what = found < 0 ? "the end of the input"
                : found >= 0x20 && found < 0x7f ? "'" + (char) found + "'" : "byte 0x" + Integer.toHexString(found);
        return new IOException(where() + ": expected " + expected + ", found " + what);
    }

    private String where() {
        return "line " + line + " column " + column;
    }
}
