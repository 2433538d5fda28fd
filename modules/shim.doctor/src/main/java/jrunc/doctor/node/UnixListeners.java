package jrunc.doctor.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * Which Unix socket a process listens on: its fds' {@code socket:[inode]} links matched against the listening
 * sockets of {@code /proc/net/unix}. This ties a grouped shim (whose socket is hashed from its pod, not from the
 * {@code -id} in its argv) to its socket, so a shim whose every bundle is gone can be recognised as leaked.
 */
final class UnixListeners {
    /** {@code __SO_ACCEPTCON} in the Flags column: the socket is listening. */
    private static final long ACCEPTCON = 0x10000;

    private UnixListeners() {}

    /** pid → the first listening socket path found among its fds, for the given pids. */
    static Map<Integer, Path> of(Path proc, Collection<Integer> pids) {
        Map<Integer, Path> out = new HashMap<>();
        if (pids.isEmpty()) return out;
        Map<Long, Path> listening;
        try {
            listening = listening(Files.readString(proc.resolve("net/unix"), StandardCharsets.UTF_8));
        } catch (IOException e) {
            return out; // without it the diagnosis falls back to the argv hash
        }
        for (int pid : pids) {
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve(Integer.toString(pid)).resolve("fd"))) {
                for (Path fd : fds) {
                    Path socket = socketOf(fd, listening);
                    if (socket != null) {
                        out.put(pid, socket);
                        break;
                    }
                }
            } catch (IOException e) {
                // the process exited or is not readable: nothing to tie
            }
        }
        return out;
    }

    private static Path socketOf(Path fd, Map<Long, Path> listening) {
        try {
            String target = Files.readSymbolicLink(fd).toString();
            if (!target.startsWith("socket:[") || !target.endsWith("]")) return null;
            return listening.get(Long.parseLong(target.substring(8, target.length() - 1)));
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    /**
     * inode → path of every listening filesystem socket in the text of /proc/net/unix ({@code Num RefCount Protocol
     * Flags Type St Inode Path}); abstract and unnamed sockets are left out.
     */
    static Map<Long, Path> listening(String procNetUnix) {
        Map<Long, Path> out = new HashMap<>();
        for (String line : procNetUnix.split("\n")) {
            String[] f = line.trim().split("\\s+", 8);
            if (f.length < 8 || !f[7].startsWith("/")) continue;
            try {
                if ((Long.parseLong(f[3], 16) & ACCEPTCON) == 0) continue;
                out.put(Long.parseLong(f[6]), Path.of(f[7]));
            } catch (NumberFormatException e) {
                // the header line, or a format we do not know
            }
        }
        return out;
    }
}
