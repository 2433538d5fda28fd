package jrunc.core.manager;

import java.util.regex.Pattern;

/**
 * Names that come from the node (ids, namespaces, file names, argv values): which ones containerd could have made,
 * and how to show any of them on one line.
 */
public final class Names {
    /**
     * containerd's identifier grammar for namespaces and container ids (containerd v1.6.20
     * identifiers/validate.go): alphanumerics separated by single {@code . _ -}, at most 76 characters. Nothing
     * containerd created breaks it, so a name that does was not left by a crash, and is reported, never acted on.
     */
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*");
    private static final int MAX_IDENTIFIER = 76;

    private Names() {}

    /** True when containerd would accept {@code name} as a namespace or id. */
    public static boolean isIdentifier(String name) {
        return name != null && name.length() <= MAX_IDENTIFIER && IDENTIFIER.matcher(name).matches();
    }

    /**
     * {@code s} with every control character (C0, DEL, C1, line and paragraph separators) and backslash escaped as
     * {@code \n}, {@code \t}, {@code \\} or a four-digit {@code \\u} escape: a name holding a newline can never forge a line.
     */
    public static String printable(String s) {
        if (s == null) return null;
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String escaped = switch (c) {
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                case '\t' -> "\\t";
                case '\\' -> "\\\\";
                default -> c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029'
                        ? String.format("\\u%04x", (int) c) : null;
            };
            if (escaped != null && out == null) out = new StringBuilder(s.length() + 8).append(s, 0, i);
            if (out != null) {
                if (escaped != null) out.append(escaped);
                else out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }
}
