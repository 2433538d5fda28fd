package jrunc.core.manager;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import jrunc.proto.runc.Options;

/**
 * The TOML file a CRI runtime handler's {@code ConfigPath} names, read as runc options: one {@code key = value} a
 * line, keys as in containerd's runc options table ({@code BinaryName}, {@code Root}, {@code ShimCgroup},
 * {@code SystemdCgroup}, {@code IoUid}…) or as the proto fields ({@code binary_name}…), case and underscores
 * ignored, the way containerd's TOML decoding matches them. Values are TOML strings ({@code "…"} or {@code '…'}),
 * booleans and integers; {@code #} starts a comment. The {@code [jrunc]} table holds the shim's own settings
 * ({@link ShimConfig}). An unknown key, or a key under any other {@code [table]}, is a warning.
 *
 * <p>Hand-written on purpose: the shim reads this on {@code start} and {@code Create}, where a TOML or databind
 * library costs start-up time, and the subset a flat options table needs is small. The file is the operator's, but
 * it is still read with care: a regular file of at most {@link #MAX_BYTES}, never a FIFO that would block the shim.
 */
public final class RuncOptionsFile {
    public static final int MAX_BYTES = 64 * 1024;

    /** The table of the shim's own settings. */
    public static final String SHIM_TABLE = "jrunc";

    /** The options, the shim's settings, and the keys or tables that were ignored. */
    public record Read(Options options, ShimConfig shim, List<String> warnings) {
        public Read {
            warnings = List.copyOf(warnings);
        }
    }

    private RuncOptionsFile() {}

    /** @throws IllegalArgumentException naming the file (and line) when it cannot be read or parsed */
    public static Read read(Path file) {
        return parse(file.toString(), load(file));
    }

    static String load(Path file) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class); // follows a symlink, as TOML readers do
        } catch (IOException e) {
            throw new IllegalArgumentException("runc options file " + file + ": cannot read it: " + e, e);
        }
        if (!attributes.isRegularFile()) {
            throw new IllegalArgumentException("runc options file " + file + " is not a regular file");
        }
        if (attributes.size() > MAX_BYTES) {
            throw new IllegalArgumentException("runc options file " + file + " is larger than " + MAX_BYTES + " bytes");
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw new IllegalArgumentException("runc options file " + file + " is larger than " + MAX_BYTES + " bytes");
            }
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("runc options file " + file + " is not UTF-8", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("runc options file " + file + ": cannot read it: " + e, e);
        }
    }

    static Read parse(String name, String text) {
        Options.Builder options = Options.newBuilder();
        ShimConfig.Grouping grouping = ShimConfig.DEFAULT.grouping();
        boolean spare = ShimConfig.DEFAULT.spare();
        java.time.Duration spareIdle = ShimConfig.DEFAULT.spareIdle();
        List<String> warnings = new ArrayList<>();
        String table = null;
        String[] lines = text.split("\r?\n", -1);
        for (int n = 0; n < lines.length; n++) {
            Line line = new Line(name, n + 1, lines[n]);
            line.skipSpace();
            if (line.atEnd() || line.peek() == '#') continue;
            if (line.peek() == '[') {
                table = line.tableHeader();
                if (!table.equals(SHIM_TABLE)) {
                    warnings.add(name + ":" + line.number + ": table [" + table + "] ignored (the runc options are "
                            + "top-level keys, jrunc's own under [" + SHIM_TABLE + "])");
                }
                continue;
            }
            String key = line.key();
            line.skipSpace();
            line.expect('=');
            line.skipSpace();
            Object value = line.value();
            line.skipSpace();
            if (!line.atEnd() && line.peek() != '#') throw line.error("unexpected text after the value");
            if (SHIM_TABLE.equals(table)) {
                if (key.equalsIgnoreCase("grouping")) {
                    grouping = grouping(key, value, line);
                } else if (key.equalsIgnoreCase("spare")) {
                    spare = bool(key, value, line);
                } else if (key.equalsIgnoreCase("spare_idle_seconds")) {
                    long seconds = Integer.toUnsignedLong(uint32(key, value, line));
                    if (seconds < 1 || seconds > ShimConfig.MAX_SPARE_IDLE.toSeconds()) {
                        throw line.error(key + " must be from 1 to " + ShimConfig.MAX_SPARE_IDLE.toSeconds());
                    }
                    spareIdle = java.time.Duration.ofSeconds(seconds);
                } else {
                    warnings.add(name + ":" + line.number + ": unknown jrunc setting " + key + " ignored");
                }
                continue;
            }
            if (table != null) continue;
            if (!set(options, key, value, line)) {
                warnings.add(name + ":" + line.number + ": unknown runc option " + key + " ignored");
            }
        }
        return new Read(options.build(), new ShimConfig(grouping, spare, spareIdle), warnings);
    }

    private static ShimConfig.Grouping grouping(String key, Object value, Line line) {
        ShimConfig.Grouping g = ShimConfig.Grouping.parse(string(key, value, line));
        if (g == null) throw line.error(key + " must be \"pod\", \"namespace\" or \"node\"");
        return g;
    }

    private static boolean set(Options.Builder o, String key, Object value, Line line) {
        switch (key.replace("_", "").replace("-", "").toLowerCase(Locale.ROOT)) {
            case "nopivotroot" -> o.setNoPivotRoot(bool(key, value, line));
            case "nonewkeyring" -> o.setNoNewKeyring(bool(key, value, line));
            case "shimcgroup" -> o.setShimCgroup(string(key, value, line));
            case "iouid" -> o.setIoUid(uint32(key, value, line));
            case "iogid" -> o.setIoGid(uint32(key, value, line));
            case "binaryname" -> o.setBinaryName(string(key, value, line));
            case "root" -> o.setRoot(string(key, value, line));
            case "criupath" -> o.setCriuPath(string(key, value, line));
            case "systemdcgroup" -> o.setSystemdCgroup(bool(key, value, line));
            case "criuimagepath" -> o.setCriuImagePath(string(key, value, line));
            case "criuworkpath" -> o.setCriuWorkPath(string(key, value, line));
            case "taskapiaddress" -> o.setTaskApiAddress(string(key, value, line));
            case "taskapiversion" -> o.setTaskApiVersion(uint32(key, value, line));
            default -> {
                return false;
            }
        }
        return true;
    }

    private static boolean bool(String key, Object value, Line line) {
        if (value instanceof Boolean b) return b;
        throw line.error(key + " must be true or false");
    }

    private static String string(String key, Object value, Line line) {
        if (value instanceof String s) return s;
        throw line.error(key + " must be a string");
    }

    private static int uint32(String key, Object value, Line line) {
        if (value instanceof Long l && l >= 0 && l <= 0xFFFF_FFFFL) return (int) (long) l;
        throw line.error(key + " must be an integer from 0 to 4294967295");
    }

    /** One line of the file and a cursor into it. */
    private static final class Line {
        final String file;
        final int number;
        final String text;
        int at;

        Line(String file, int number, String text) {
            this.file = file;
            this.number = number;
            this.text = text;
        }

        boolean atEnd() {
            return at >= text.length();
        }

        char peek() {
            return text.charAt(at);
        }

        void skipSpace() {
            while (!atEnd() && (peek() == ' ' || peek() == '\t')) at++;
        }

        void expect(char c) {
            if (atEnd() || peek() != c) throw error("expected '" + c + "'");
            at++;
        }

        String tableHeader() {
            int close = text.indexOf(']', at);
            if (close < 0) throw error("unterminated table header");
            String name = text.substring(at + 1, close).replace("[", "").strip();
            at = close + 1;
            while (!atEnd() && peek() == ']') at++;
            skipSpace();
            if (!atEnd() && peek() != '#') throw error("unexpected text after the table header");
            return name;
        }

        String key() {
            if (!atEnd() && (peek() == '"' || peek() == '\'')) return (String) value();
            int start = at;
            while (!atEnd() && (Character.isLetterOrDigit(peek()) || peek() == '_' || peek() == '-')) at++;
            if (start == at) throw error("expected a key");
            if (!atEnd() && peek() == '.') throw error("dotted keys are not supported");
            return text.substring(start, at);
        }

        Object value() {
            if (atEnd()) throw error("expected a value");
            char c = peek();
            if (c == '"') return basicString();
            if (c == '\'') {
                int close = text.indexOf('\'', at + 1);
                if (close < 0) throw error("unterminated string");
                String s = text.substring(at + 1, close);
                at = close + 1;
                return s;
            }
            int start = at;
            while (!atEnd() && peek() != ' ' && peek() != '\t' && peek() != '#') at++;
            String word = text.substring(start, at);
            if (word.equals("true")) return Boolean.TRUE;
            if (word.equals("false")) return Boolean.FALSE;
            if (word.matches("[+-]?(0|[1-9](_?[0-9])*)")) {
                try {
                    return Long.parseLong(word.replace("_", "").replace("+", ""));
                } catch (NumberFormatException e) {
                    throw error("integer out of range: " + word);
                }
            }
            throw error("unsupported value " + word + " (strings, true/false and integers are)");
        }

        private String basicString() {
            StringBuilder out = new StringBuilder();
            at++;
            while (true) {
                if (atEnd()) throw error("unterminated string");
                char c = text.charAt(at++);
                if (c == '"') return out.toString();
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                if (atEnd()) throw error("unterminated string");
                char e = text.charAt(at++);
                switch (e) {
                    case '"' -> out.append('"');
                    case '\\' -> out.append('\\');
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    case 'r' -> out.append('\r');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'u', 'U' -> {
                        int len = e == 'u' ? 4 : 8;
                        if (at + len > text.length()) throw error("short \\" + e + " escape");
                        try {
                            out.appendCodePoint(Integer.parseInt(text.substring(at, at + len), 16));
                        } catch (IllegalArgumentException ex) {
                            throw error("bad \\" + e + " escape");
                        }
                        at += len;
                    }
                    default -> throw error("unknown escape \\" + e);
                }
            }
        }

        IllegalArgumentException error(String what) {
            return new IllegalArgumentException("runc options file " + file + ":" + number + ": " + what);
        }
    }
}
