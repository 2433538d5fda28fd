package jrunc.linux;

import java.io.IOException;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * This process's command line as {@code /proc/self/cmdline} reads it, rewritten in place. The kernel reads it from
 * the memory between {@code arg_start} and {@code arg_end} (fields 48 and 49 of {@code /proc/self/stat}, Linux
 * 3.5+), the argument strings at the top of the main thread's stack; moving those bounds needs CAP_SYS_RESOURCE
 * (prctl PR_SET_MM), so the new strings are written into the same bytes and the rest is zeroed, the way
 * setproctitle does it. The last byte stays NUL, so the kernel keeps reading the area as NUL-separated arguments.
 * The JVM copied its arguments long before: nothing else reads that memory.
 */
final class CommandLine {
    private static final Path STAT = Path.of("/proc/self/stat"), CMDLINE = Path.of("/proc/self/cmdline");
    private static final int ARG_START_FIELD = 48, ARG_END_FIELD = 49;

    private CommandLine() {}

    static void rewrite(List<String> argv) throws IOException {
        long[] bounds = bounds(Files.readString(STAT));
        long size = bounds[1] - bounds[0];
        byte[] now = Files.readAllBytes(CMDLINE);
        byte[] next = encode(argv);
        if (size <= 0 || now.length != size) {
            throw new IOException("the command line is not where /proc/self/stat says (" + size + " bytes there, "
                    + now.length + " in /proc/self/cmdline): not rewriting it");
        }
        if (next.length > size) {
            throw new IOException("the new command line needs " + next.length + " bytes, the process has " + size);
        }
        MemorySegment area = MemorySegment.ofAddress(bounds[0]).reinterpret(size);
        if (!Arrays.equals(area.toArray(ValueLayout.JAVA_BYTE), now)) {
            throw new IOException("the memory at arg_start does not hold this process's command line: not rewriting it");
        }
        area.fill((byte) 0);
        MemorySegment.copy(next, 0, area, ValueLayout.JAVA_BYTE, 0, next.length);
    }

    /** {@code [arg_start, arg_end]} from the text of {@code /proc/<pid>/stat}. */
    static long[] bounds(String stat) throws IOException {
        // fields from 3 on follow the ")" that ends the command name, which may itself hold spaces and parentheses
        int close = stat.lastIndexOf(')');
        if (close < 0) throw new IOException("unexpected /proc/self/stat: " + stat);
        String[] fields = stat.substring(close + 2).trim().split(" ");
        if (fields.length < ARG_END_FIELD - 2) throw new IOException("/proc/self/stat has no arg_start/arg_end (Linux < 3.5?)");
        try {
            return new long[] {Long.parseLong(fields[ARG_START_FIELD - 3]), Long.parseLong(fields[ARG_END_FIELD - 3])};
        } catch (NumberFormatException e) {
            throw new IOException("unexpected /proc/self/stat: " + stat, e);
        }
    }

    /** Each argument followed by its NUL, as the kernel lays them out. */
    static byte[] encode(List<String> argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String a : argv) {
            byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
            for (byte b : bytes) {
                if (b == 0) throw new IllegalArgumentException("an argument holds a NUL byte: " + a);
            }
            out.writeBytes(bytes);
            out.write(0);
        }
        return out.toByteArray();
    }
}
