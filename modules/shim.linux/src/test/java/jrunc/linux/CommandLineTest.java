package jrunc.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The test JVM's own command line, rewritten in place and put back. */
class CommandLineTest {
    private static final Path CMDLINE = Path.of("/proc/self/cmdline");

    @Test
    void aShorterCommandLineReadsBackWithNulPaddingAndTheOriginalCanBePutBack() throws Exception {
        byte[] original = Files.readAllBytes(CMDLINE);
        List<String> argv = split(original);
        try {
            CommandLine.rewrite(List.of("java", "-namespace", "ns", "-id", "c1"));
            byte[] now = Files.readAllBytes(CMDLINE);
            assertEquals(original.length, now.length, "the kernel reads the same span");
            byte[] expected = new byte[original.length];
            byte[] args = "java\0-namespace\0ns\0-id\0c1\0".getBytes();
            System.arraycopy(args, 0, expected, 0, args.length);
            assertArrayEquals(expected, now);
        } finally {
            CommandLine.rewrite(argv);
        }
        assertArrayEquals(original, Files.readAllBytes(CMDLINE));
    }

    @Test
    void aLongerCommandLineIsRefusedAndNothingChanges() throws Exception {
        byte[] original = Files.readAllBytes(CMDLINE);
        List<String> longer = new ArrayList<>(split(original));
        longer.add("x".repeat(original.length));
        assertThrows(java.io.IOException.class, () -> CommandLine.rewrite(longer));
        assertArrayEquals(original, Files.readAllBytes(CMDLINE));
    }

    @Test
    void theBoundsAreFields48And49AfterACommandNameHoldingSpacesAndParentheses() throws Exception {
        StringBuilder stat = new StringBuilder("4242 (a b) (c)) S");
        for (int field = 4; field <= 52; field++) stat.append(' ').append(field == 48 ? 1000 : field == 49 ? 2000 : 7);
        assertArrayEquals(new long[] {1000, 2000}, CommandLine.bounds(stat.toString()));
    }

    private static List<String> split(byte[] cmdline) {
        List<String> out = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < cmdline.length; i++) {
            if (cmdline[i] == 0) {
                out.add(new String(Arrays.copyOfRange(cmdline, from, i)));
                from = i + 1;
            }
        }
        return out;
    }
}
