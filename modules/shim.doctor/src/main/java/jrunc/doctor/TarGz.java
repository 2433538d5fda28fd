package jrunc.doctor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

/**
 * A gzipped POSIX tar (ustar) written in one pass: regular files only, mode 0644, owned by root. Names longer than
 * ustar's 100 (+155 prefix) bytes get a pax {@code path} record first, which GNU tar, bsdtar and busybox read.
 * Small enough to own rather than pull an archive library into the image for one command.
 */
final class TarGz implements AutoCloseable {
    private static final int BLOCK = 512;
    private final OutputStream out;
    private final long mtime;

    TarGz(OutputStream raw, long mtimeSeconds) throws IOException {
        this.out = new GZIPOutputStream(raw, 64 * 1024);
        this.mtime = mtimeSeconds;
    }

    void add(String name, byte[] content) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        String shortName = name, prefix = "";
        if (nameBytes.length > 100) {
            int split = splitPoint(name);
            if (split > 0) {
                prefix = name.substring(0, split);
                shortName = name.substring(split + 1);
            } else {
                pax(name);
                shortName = name.substring(0, Math.min(name.length(), 99)); // what a pax-blind reader sees
            }
        }
        writeEntry(shortName, prefix, content, (byte) '0');
    }

    /** Where to cut a long name into ustar's prefix (≤155 bytes) and name (≤100 bytes), at a '/'; -1 if nowhere. */
    private static int splitPoint(String name) {
        for (int i = name.length() - 1; i > 0; i--) {
            if (name.charAt(i) != '/') continue;
            int prefixLen = name.substring(0, i).getBytes(StandardCharsets.UTF_8).length;
            int nameLen = name.substring(i + 1).getBytes(StandardCharsets.UTF_8).length;
            if (prefixLen <= 155 && nameLen <= 100 && nameLen > 0) return i;
        }
        return -1;
    }

    /** A pax extended header with {@code path}: "LEN path=NAME\n", where LEN counts its own digits too. */
    private void pax(String name) throws IOException {
        int body = (" path=" + name + "\n").getBytes(StandardCharsets.UTF_8).length;
        int len = body + Integer.toString(body).length();
        if (Integer.toString(len).length() != Integer.toString(body).length()) len++;
        writeEntry("PaxHeader", "", (len + " path=" + name + "\n").getBytes(StandardCharsets.UTF_8), (byte) 'x');
    }

    private void writeEntry(String name, String prefix, byte[] content, byte type) throws IOException {
        byte[] h = new byte[BLOCK];
        put(h, 0, 100, name.getBytes(StandardCharsets.UTF_8));
        octal(h, 100, 8, 0644);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, content.length);
        octal(h, 136, 12, mtime);
        h[156] = type;
        put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        put(h, 265, 32, "root".getBytes(StandardCharsets.US_ASCII));
        put(h, 297, 32, "root".getBytes(StandardCharsets.US_ASCII));
        put(h, 345, 155, prefix.getBytes(StandardCharsets.UTF_8));
        // The checksum is taken with its own field as spaces, then written as six octal digits, NUL, space.
        for (int i = 148; i < 156; i++) h[i] = ' ';
        long sum = 0;
        for (byte b : h) sum += b & 0xff;
        octal(h, 148, 7, sum);
        h[155] = ' ';
        out.write(h);
        out.write(content);
        int pad = (BLOCK - content.length % BLOCK) % BLOCK;
        out.write(new byte[pad]);
    }

    private static void put(byte[] h, int at, int len, byte[] value) {
        System.arraycopy(value, 0, h, at, Math.min(len, value.length));
    }

    /** Zero-padded octal, NUL-terminated, filling {@code len} bytes. */
    private static void octal(byte[] h, int at, int len, long value) {
        String s = Long.toOctalString(value);
        s = "0".repeat(Math.max(0, len - 1 - s.length())) + s;
        put(h, at, len - 1, s.getBytes(StandardCharsets.US_ASCII));
        h[at + len - 1] = 0;
    }

    /** Two zero blocks end the archive. */
    @Override
    public void close() throws IOException {
        out.write(new byte[2 * BLOCK]);
        out.close();
    }
}
