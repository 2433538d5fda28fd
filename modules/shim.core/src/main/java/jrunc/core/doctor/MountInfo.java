package jrunc.core.doctor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Parses /proc/self/mountinfo (proc(5)) and answers the questions the doctor asks of it. */
public final class MountInfo {
    private MountInfo() {}

    /**
     * Parses the text; lines that do not have the documented shape are skipped rather than failing the scan. When
     * {@code under} is not null, only mounts at or below that directory are kept (the doctor only ever needs those).
     */
    public static List<NodeSnapshot.Mount> parse(String text, Path under) {
        List<NodeSnapshot.Mount> mounts = new ArrayList<>();
        String prefix = under == null ? null : under.toString();
        for (String line : text.split("\n")) {
            // Cheap filter first: on a busy node most lines are not ours, and the mount point is field 5.
            if (prefix != null && !line.contains(prefix)) continue;
            NodeSnapshot.Mount m = parseLine(line);
            if (m != null && (under == null || m.mountPoint().startsWith(under))) mounts.add(m);
        }
        return mounts;
    }

    static NodeSnapshot.Mount parseLine(String line) {
        String[] f = line.split(" ");
        int dash = -1;
        for (int i = 6; i < f.length; i++) {
            if (f[i].equals("-")) {
                dash = i;
                break;
            }
        }
        if (f.length < 10 || dash < 0 || dash + 2 >= f.length) return null;
        try {
            return new NodeSnapshot.Mount(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Path.of(unescape(f[4])),
                    f[dash + 1], unescape(f[dash + 2]));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The kernel writes space, tab, newline and backslash in paths as {@code \ooo} octal escapes. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) return false;
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') return false;
        }
        return true;
    }

    /**
     * The mounts at or below {@code dir}, deepest first: the order to unmount them in (what containerd 1.7+ does in
     * {@code mount.UnmountRecursive}). Stacked mounts on one point come out newest (highest id) first.
     */
    public static List<NodeSnapshot.Mount> under(List<NodeSnapshot.Mount> mounts, Path dir) {
        return mounts.stream().filter(m -> m.mountPoint().startsWith(dir))
                .sorted(Comparator.comparingInt((NodeSnapshot.Mount m) -> m.mountPoint().getNameCount()).reversed()
                        .thenComparing(Comparator.comparingInt(NodeSnapshot.Mount::mountId).reversed()))
                .toList();
    }
}
