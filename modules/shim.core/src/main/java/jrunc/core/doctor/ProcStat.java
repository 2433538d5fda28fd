package jrunc.core.doctor;

/**
 * The two fields the doctor needs from /proc/&lt;pid&gt;/stat (proc(5)): ppid (field 4) and starttime (field 22,
 * clock ticks after boot). The pid plus its start time names one process for its whole life, which is how a pid
 * read from {@code init.pid} is told apart from a later process that reused the number.
 */
public record ProcStat(int ppid, long startTicks) {

    /** Parses the text, or returns null when it is not a stat line. */
    public static ProcStat parse(String stat) {
        // comm (field 2) is in parentheses and may itself hold spaces and ')': fields restart after the last ')'.
        int close = stat.lastIndexOf(')');
        if (close < 0 || close + 2 > stat.length()) return null;
        String[] f = stat.substring(close + 2).trim().split(" ");
        // f[0] is field 3 (state), so field n is f[n - 3].
        if (f.length < 20) return null;
        try {
            return new ProcStat(Integer.parseInt(f[1]), Long.parseLong(f[19]));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
