package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import jrunc.core.fake.Gen;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * mountinfo as the kernel writes it (proc(5); show_mountinfo in fs/proc_namespace.c): any mount ids, paths holding
 * spaces, tabs, newlines and backslashes (escaped as three octal digits), none to several optional fields. Each
 * line parses back to what was written, lines cut short or garbled are skipped, the filtered parse keeps exactly
 * the mounts at or below its directory, and {@link MountInfo#under} lists them deepest first.
 */
class MountInfoPropertyTest {
    private static final String[] PIECES = {"a", "b", "rootfs", "c1", " ", "\t", "\n", "\\", "\\040", "é", "x y", "-", ".."};
    private static final String BASE = "/run/containerd/io.containerd.runtime.v2.task/default/c1";

    static Stream<Long> seeds() {
        return Gen.seeds(0x3090_0000L, 500);
    }

    private static String path(Gen g) {
        StringBuilder p = new StringBuilder(g.bool() ? BASE : "");
        for (int i = 0, n = g.between(g.bool() ? 0 : 1, 4); i < n; i++) {
            p.append('/');
            for (int j = 0, m = g.between(1, 3); j < m; j++) p.append(g.pick(PIECES));
        }
        return p.isEmpty() ? "/" : p.toString();
    }

    /** The kernel's escaping of a path field: space, tab, newline and backslash as \ooo. */
    static String escape(String s) {
        StringBuilder out = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == ' ' || c == '\t' || c == '\n' || c == '\\') out.append(String.format("\\%03o", (int) c));
            else out.append(c);
        }
        return out.toString();
    }

    private static MountInfo mount(Gen g) {
        return new MountInfo(g.between(0, Integer.MAX_VALUE), g.between(0, Integer.MAX_VALUE),
                g.between(0, 300) + ":" + g.between(0, 300), path(g), path(g), g.pick("rw", "ro,nosuid", "rw,relatime"),
                g.pick("overlay", "tmpfs", "proc", "ext4"), g.pick("overlay", "/dev/vda1", "none", "with space"),
                g.pick("rw", "rw,lowerdir=/l,upperdir=/u", "ro"));
    }

    static String line(MountInfo m, List<String> optional) {
        StringBuilder b = new StringBuilder().append(m.mountId()).append(' ').append(m.parentId()).append(' ')
                .append(m.device()).append(' ').append(escape(m.root())).append(' ').append(escape(m.mountPoint()))
                .append(' ').append(m.options());
        for (String o : optional) b.append(' ').append(o);
        return b.append(" - ").append(m.fsType()).append(' ').append(escape(m.source())).append(' ')
                .append(m.superOptions()).toString();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyLineTheKernelWritesParsesBackAndGarbleIsSkipped(long seed) {
        Gen g = new Gen(seed);
        List<MountInfo> mounts = g.list(8, () -> mount(g));
        StringBuilder text = new StringBuilder();
        for (MountInfo m : mounts) {
            List<String> optional = g.list(3, () -> g.pick("shared:1", "master:2", "propagate_from:3", "unbindable"));
            text.append(line(m, optional)).append('\n');
            if (g.oneIn(4)) {
                String garbled = line(m, optional);
                text.append(switch (g.between(0, 2)) {
                    case 0 -> garbled.substring(0, g.between(0, garbled.indexOf(" - ")));
                    case 1 -> "x" + garbled;
                    default -> garbled.replace(" - ", " ");
                }).append('\n');
            }
        }
        assertEquals(mounts, MountInfo.parse(text.toString()));

        List<MountInfo> under = mounts.stream().filter(m -> m.isAtOrBelow(BASE)).toList();
        assertEquals(under, MountInfo.parse(text.toString(), BASE), "only the mounts at or below " + BASE);

        List<MountInfo> ordered = MountInfo.under(mounts, BASE);
        assertEquals(under.size(), ordered.size());
        for (int i = 1; i < ordered.size(); i++) {
            int before = depth(ordered.get(i - 1)), after = depth(ordered.get(i));
            assertTrue(before > after || before == after && ordered.get(i - 1).mountId() >= ordered.get(i).mountId(),
                    "deepest first, then newest first: " + ordered);
        }
    }

    private static int depth(MountInfo m) {
        return (int) m.mountPoint().chars().filter(c -> c == '/').count();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aBackslashNotFollowedByThreeOctalDigitsIsKept(long seed) {
        Gen g = new Gen(seed);
        String tail = g.pick("", "1", "12", "8", "18", "9aa", "\\", "x");
        String raw = "/mnt/a\\" + tail;
        assertEquals(raw, MountInfo.unescape(raw));
        assertEquals("/mnt/a b", MountInfo.unescape("/mnt/a\\040b"));
        assertEquals("/mnt/\\", MountInfo.unescape("/mnt/\\134"));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aPrefixIsAPathNotAString(long seed) {
        Gen g = new Gen(seed);
        String dir = "/a/b" + g.pick("", "/");
        MountInfo sibling = new MountInfo(1, 0, "0:1", "/", "/a/bc", "rw", "tmpfs", "none", "rw");
        MountInfo self = new MountInfo(2, 0, "0:1", "/", "/a/b", "rw", "tmpfs", "none", "rw");
        MountInfo child = new MountInfo(3, 0, "0:1", "/", "/a/b/c", "rw", "tmpfs", "none", "rw");
        assertEquals(List.of(false, dir.equals("/a/b"), true),
                new ArrayList<>(List.of(sibling.isAtOrBelow(dir), self.isAtOrBelow(dir), child.isAtOrBelow(dir))));
        assertNull(MountInfo.parseLine("1 0 0:1 / /a rw -"), "no fields after the separator");
        assertNull(MountInfo.parseLine("1 0 0:1 / /a rw - tmpfs"), "no source");
    }
}
