package jrunc.linux;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A mounted cgroup hierarchy, read from /proc/self/mountinfo: a v1 hierarchy (fs type {@code cgroup}, one or more
 * controllers, or a named one such as name=systemd) or the v2 unified tree ({@code cgroup2}).
 *
 * @param device     major:minor of the hierarchy's superblock: the same hierarchy mounted twice has one device
 * @param mountPoint where it is mounted
 * @param unified    true for cgroup2
 * @param options    the super options, which name a v1 hierarchy's controllers
 */
record CgroupHierarchy(String device, Path mountPoint, boolean unified, Set<String> options) {

    CgroupHierarchy {
        options = Set.copyOf(options);
    }

    boolean hasController(String controller) {
        return !unified && options.contains(controller);
    }

    /**
     * Every cgroup hierarchy mounted at its root, once each. A mount of a sub-tree (root field other than "/", as a
     * bind mount into a container shows) is skipped: cgroup paths are relative to the hierarchy's root.
     */
    static List<CgroupHierarchy> parse(String mountinfo) {
        List<CgroupHierarchy> hierarchies = new ArrayList<>();
        Set<String> devices = new HashSet<>();
        for (String line : mountinfo.split("\n")) {
            String[] fields = line.trim().split(" ");
            int separator = List.of(fields).indexOf("-");
            // id parent major:minor root mount-point options [optional...] - fstype source super-options
            if (separator < 6 || fields.length < separator + 4) continue;
            String fsType = fields[separator + 1];
            boolean unified = fsType.equals("cgroup2");
            if (!unified && !fsType.equals("cgroup")) continue;
            if (!fields[3].equals("/") || !devices.add(fields[2])) continue;
            hierarchies.add(new CgroupHierarchy(fields[2], Path.of(unescape(fields[4])), unified,
                    Set.of(fields[separator + 3].split(","))));
        }
        return hierarchies;
    }

    /** mountinfo writes space, tab, newline and backslash in paths as three octal digits (\040). */
    static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) return false;
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') return false;
        }
        return true;
    }
}
