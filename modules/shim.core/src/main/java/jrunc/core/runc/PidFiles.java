package jrunc.core.runc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jrunc.core.task.TaskException;

/** runc's {@code --pid-file}: the decimal pid, maybe with a newline. */
public final class PidFiles {
    private PidFiles() {}

    public static int read(Path file) throws TaskException {
        String text;
        try {
            text = Files.readString(file).strip();
        } catch (IOException e) {
            throw TaskException.unknown("failed to retrieve OCI runtime container pid: " + e.getMessage(), e);
        }
        try {
            int pid = Integer.parseInt(text);
            if (pid <= 0) throw new NumberFormatException("not positive");
            return pid;
        } catch (NumberFormatException e) {
            throw TaskException.unknown("failed to retrieve OCI runtime container pid: bad pid file " + file + ": \"" + text + "\"", e);
        }
    }
}
