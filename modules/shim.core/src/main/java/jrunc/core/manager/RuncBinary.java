package jrunc.core.manager;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.FileStat;
import jrunc.core.spi.OperatingSystem;

/**
 * The runc binary the Stop path runs as root, named by the bundle's {@code runtime} file, which anyone who can
 * write the bundle can change. Accepted only when it resolves to an absolute path of a regular, executable file
 * owned by root and writable by nobody else: otherwise nothing is run.
 */
public final class RuncBinary {
    private RuncBinary() {}

    /** A runtime file that names a binary the Stop path will not run. */
    public static final class UntrustedException extends IOException {
        private static final long serialVersionUID = 1L;

        UntrustedException(String message) {
            super(message);
        }
    }

    /**
     * The binary to run: an absolute {@code name} as given (links resolved), or a bare name (the default
     * {@code runc}) looked up in {@code pathEnv}'s absolute entries, as exec.LookPath would.
     *
     * @throws UntrustedException relative, missing, not regular, not executable, not root's, group/other-writable
     */
    public static Path resolve(OperatingSystem os, String name, String pathEnv) throws UntrustedException {
        if (name.indexOf('/') < 0) {
            for (String dir : (pathEnv == null ? "" : pathEnv).split(":")) {
                if (!dir.startsWith("/")) continue;
                Path candidate;
                try {
                    candidate = Path.of(dir, name);
                } catch (InvalidPathException e) {
                    continue;
                }
                try {
                    FileStat st = os.lstat(candidate);
                    if (st.type() != FileStat.Type.DIRECTORY) return check(os, name, candidate);
                } catch (IOException notHere) {
                    // try the next PATH entry
                }
            }
            throw new UntrustedException("runtime " + Names.printable(name) + ": not found in PATH");
        }
        if (!name.startsWith("/")) {
            throw new UntrustedException("runtime " + Names.printable(name) + ": not an absolute path");
        }
        try {
            return check(os, name, Path.of(name));
        } catch (InvalidPathException e) {
            throw new UntrustedException("runtime " + Names.printable(name) + ": not a path");
        }
    }

    private static Path check(OperatingSystem os, String name, Path path) throws UntrustedException {
        Path real;
        FileStat st;
        try {
            real = path.toRealPath();
            st = os.lstat(real);
        } catch (ErrnoException | java.nio.file.NoSuchFileException e) {
            throw new UntrustedException("runtime " + Names.printable(name) + ": does not exist");
        } catch (IOException e) {
            throw new UntrustedException("runtime " + Names.printable(name) + ": " + e.getMessage());
        }
        String what = "runtime " + Names.printable(name) + (real.equals(path) ? "" : " (" + real + ")");
        if (!st.isRegular()) throw new UntrustedException(what + ": is a " + st.type().description() + ", not a regular file");
        if (st.uid() != 0) throw new UntrustedException(what + ": owned by uid " + st.uid() + ", not root");
        if ((st.mode() & 022) != 0) {
            throw new UntrustedException(what + ": writable by group or others (mode " + Integer.toOctalString(st.mode() & 07777) + ")");
        }
        if ((st.mode() & 0100) == 0) throw new UntrustedException(what + ": not executable");
        return real;
    }
}
