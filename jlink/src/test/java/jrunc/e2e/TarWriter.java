package jrunc.e2e;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Just enough of a POSIX ustar writer for image layers and OCI archives: directories, regular files and
 * symlinks, all owned by root, with a fixed mtime so the same input always gives the same digest.
 */
final class TarWriter {

    private static final int BLOCK = 512;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    TarWriter directory(String name, int mode) {
        header(name.endsWith("/") ? name : name + "/", mode, 0, '5', "");
        return this;
    }

    TarWriter file(String name, int mode, byte[] content) {
        header(name, mode, content.length, '0', "");
        out.writeBytes(content);
        pad(content.length);
        return this;
    }

    TarWriter symlink(String name, String target) {
        header(name, 0777, 0, '2', target);
        return this;
    }

    /** Ends the archive (two zero blocks) and returns its bytes. */
    byte[] finish() {
        out.writeBytes(new byte[2 * BLOCK]);
        return out.toByteArray();
    }

    private void header(String name, int mode, long size, char type, String linkName) {
        byte[] header = new byte[BLOCK];
        put(header, 0, 100, name);
        octal(header, 100, 8, mode);
        octal(header, 108, 8, 0); // uid
        octal(header, 116, 8, 0); // gid
        octal(header, 124, 12, size);
        octal(header, 136, 12, 0); // mtime: the epoch, for reproducible digests
        header[156] = (byte) type;
        put(header, 157, 100, linkName);
        put(header, 257, 6, "ustar"); // followed by NUL: the POSIX magic
        put(header, 263, 2, "00");
        put(header, 265, 32, "root");
        put(header, 297, 32, "root");
        // The checksum is computed with its own field read as eight spaces.
        Arrays.fill(header, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        put(header, 148, 8, String.format("%06o", sum) + "\0 ");
        out.writeBytes(header);
    }

    private void pad(long size) {
        int rest = (int) (size % BLOCK);
        if (rest != 0) {
            out.writeBytes(new byte[BLOCK - rest]);
        }
    }

    private static void put(byte[] header, int offset, int length, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > length) {
            throw new IllegalArgumentException("too long for a ustar field of " + length + ": " + text);
        }
        System.arraycopy(bytes, 0, header, offset, bytes.length);
    }

    /** Zero-padded octal with a trailing NUL, filling the field. */
    private static void octal(byte[] header, int offset, int length, long value) {
        put(header, offset, length, String.format("%0" + (length - 1) + "o", value) + "\0");
    }
}
