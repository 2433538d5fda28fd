package jrunc.core.runc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** runc's {@code --pid-file}: the decimal pid, maybe with a newline. */
public final class PidFiles {
    private PidFiles() {}

    /** @throws IOException naming the file when it cannot be read or does not hold a positive pid */
    public static int read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file).strip();
        } catch (IOException e) {
            throw new IOException("read " + file + ": " + e.getMessage(), e);
        }
        try {
            int pid = Integer.parseInt(text);
            if (pid <= 0) throw new NumberFormatException("not positive");
            return pid;
        } catch (NumberFormatException e) {
            throw new IOException("bad pid file " + file + ": \"" + text + "\"", e);
        }
    }
}
