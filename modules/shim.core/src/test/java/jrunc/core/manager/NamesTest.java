package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** containerd's identifier grammar at its edges, and names shown on one line whatever they hold. */
class NamesTest {

    @Test
    void anIdentifierIsAtMost76CharactersOfAlphanumericsJoinedBySingleSeparators() {
        assertTrue(Names.isIdentifier("a".repeat(76)));
        assertFalse(Names.isIdentifier("a".repeat(77)));
        for (String ok : List.of("a", "web", "x.y_z", "pod-a1", "A9", "k8s.io")) assertTrue(Names.isIdentifier(ok), ok);
        for (String bad : List.of("", "-a", "a-", "a..b", "a/b", "..", "a b", "a\nb", "é")) {
            assertFalse(Names.isIdentifier(bad), bad);
        }
        assertFalse(Names.isIdentifier(null));
    }

    @Test
    void everyControlCharacterIsEscapedAndNothingElse() {
        assertEquals("a\\nb\\rc\\td\\\\e", Names.printable("a\nb\rc\td\\e"));
        // the edges of C0, DEL and C1, and the line and paragraph separators
        assertEquals("\\u001f", Names.printable("\u001f"));
        assertEquals(" ~", Names.printable(" ~"));
        assertEquals("\\u007f", Names.printable("\u007f"));
        assertEquals("\\u0080\\u009f", Names.printable("\u0080\u009f"));
        assertEquals("\u00a0é漢", Names.printable("\u00a0é漢"));
        assertEquals("\\u2028\\u2029", Names.printable("\u2028\u2029"));
        assertEquals("id \\u001b[2J!", Names.printable("id \u001b[2J!"));
    }

    @Test
    void aPrintableNameIsReturnedAsItIs() {
        String name = "k8s.io/pod-a";
        assertSame(name, Names.printable(name));
        assertNull(Names.printable(null));
    }
}
