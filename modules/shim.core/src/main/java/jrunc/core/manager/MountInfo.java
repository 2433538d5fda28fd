package jrunc.core.manager;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One line of {@code /proc/<pid>/mountinfo} (proc(5)): {@code 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3
 * /dev/root rw,errors=continue}. Paths are unescaped ({@code \040} → space).
 */
public record MountInfo(int mountId, int parentId, String device, String root, String mountPoint, String options,
                        String fsType,
                        String source, String superOptions) {

    /** Parses the whole text; lines that do not follow the format are skipped rather than failing a clean-up. */
    public static List<MountInfo> parse(String text) {
        List<MountInfo> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            MountInfo m = parseLine(line);
            if (m != null) out.add(m);
        }
        return out;
    }

    /**
     * Parses only the mounts at or below {@code dir}. shim-doctor reads the mountinfo of a whole node, where most
     * lines are not under containerd's state directory: a substring test skips them before any splitting.
     */
    public static List<MountInfo> parse(String text, String dir) {
        List<MountInfo> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.contains(dir) && line.indexOf('\\') < 0) continue; // an escaped path may still be ours
            MountInfo m = parseLine(line);
            if (m != null && m.isAtOrBelow(dir)) out.add(m);
        }
        return out;
    }

    /** The mount point as a path. */
    public Path mountPath() {
        return Path.of(mountPoint);
    }

    /** True when the mount point is {@code dir} or lies below it (a path prefix, not a string prefix). */
    public boolean isAtOrBelow(String dir) {
        String prefix = dir.endsWith("/") ? dir : dir + "/";
        return mountPoint.equals(dir) || mountPoint.startsWith(prefix);
    }

    static MountInfo parseLine(String line) {
        String[] f = line.trim().split(" ");
        int dash = -1;
        for (int i = 6; i < f.length; i++) {
            if (f[i].equals("-")) {
                dash = i;
                break;
            }
        }
        if (f.length < 10 || dash < 0 || dash + 3 > f.length) return null;
        try {
            return new MountInfo(Integer.parseInt(f[0]), Integer.parseInt(f[1]), f[2], unescape(f[3]), unescape(f[4]), f[5],
                    f[dash + 1], unescape(f[dash + 2]), dash + 3 < f.length ? f[dash + 3] : "");
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The mounts at or below {@code dir}, deepest first: the order in which they can be unmounted (what containerd
     * 1.7+ does in {@code mount.UnmountRecursive}). Stacked mounts on one point come out newest (highest id) first.
     */
    public static List<MountInfo> under(List<MountInfo> mounts, String dir) {
        return mounts.stream()
                .filter(m -> m.isAtOrBelow(dir))
                .sorted(Comparator.comparingInt((MountInfo m) -> depth(m.mountPoint)).reversed()
                        .thenComparing(Comparator.comparingInt(MountInfo::mountId).reversed()))
                .toList();
    }

    private static int depth(String path) {
        int n = 0;
        for (int i = 0; i < path.length(); i++) if (path.charAt(i) == '/') n++;
        return n;
    }

    /** The kernel escapes space, tab, newline and backslash as three octal digits. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) return false;
        for (int i = from; i < from + 3; i++) if (s.charAt(i) < '0' || s.charAt(i) > '7') return false;
        return true;
    }
}
