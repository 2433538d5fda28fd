package jrunc.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * A {@code runc} at the head of a private containerd's {@code PATH}, so its shims run it: it passes every command
 * to the real {@code /usr/bin/runc} unless the test armed a fault for that command (the word after runc's global
 * flags): {@link #block} holds it until {@link #release}, {@link #hang} never lets it finish, {@link #fail} exits
 * 1 with an error in runc's {@code log.json}, as runc does. Each fault is taken by one command, then disarmed.
 */
final class FaultyRunc implements AutoCloseable {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private final Path runc;
    private final Path faults;

    private FaultyRunc(Path runc, Path faults) {
        this.runc = runc;
        this.faults = faults;
    }

    static FaultyRunc install(PrivateContainerd containerd) {
        try {
            Path faults = Files.createDirectories(containerd.dir().resolve("runc-faults"));
            Path runc = containerd.bin().resolve("runc");
            Files.writeString(runc, SCRIPT.replace("@FAULTS@", faults.toString()));
            // root's and nobody else's to write: the Stop path runs only such a runc
            Files.setPosixFilePermissions(runc, PosixFilePermissions.fromString("rwxr-xr-x"));
            return new FaultyRunc(runc, faults);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The next {@code runc <command>} waits for {@link #release} before it goes on into the real runc. */
    void block(String command) {
        arm(command, "block");
    }

    /** Lets the blocked {@code command} go on into the real runc. */
    void release(String command) {
        write(command + ".release", "");
    }

    /** The next {@code runc <command>} never finishes on its own. */
    void hang(String command) {
        arm(command, "hang");
    }

    /** The next {@code runc <command>} fails with {@code message}, logged to log.json as runc logs it. */
    void fail(String command, String message) {
        arm(command, "fail " + message);
    }

    /** Waits until an armed {@code command} is running and holding; its pid. */
    long awaitHeld(String command) throws InterruptedException {
        Path marker = faults.resolve(command + ".held");
        if (!Poll.until(WAIT, () -> Files.exists(marker) && !read(marker).isBlank())) {
            throw new AssertionError("runc " + command + " was never run");
        }
        return Long.parseLong(read(marker).strip());
    }

    private void arm(String command, String action) {
        for (String suffix : new String[] {".held", ".release"}) {
            try {
                Files.deleteIfExists(faults.resolve(command + suffix));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        write(command, action);
    }

    private void write(String name, String content) {
        try {
            Files.writeString(faults.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    /** Disarms every fault and releases whatever still waits; the plain runc stays in place. */
    void clear() {
        try (Stream<Path> files = Files.list(faults)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (!name.contains(".")) Files.delete(f);
                if (name.endsWith(".held")) write(name.substring(0, name.length() - ".held".length()) + ".release", "");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        clear();
        Files.deleteIfExists(runc);
    }

    private static final String SCRIPT = """
            #!/bin/sh
            # runc with faults a test arms in @FAULTS@/<command>; otherwise the real one
            faults=@FAULTS@
            cmd=""; log=""; prev=""
            for a in "$@"; do
              case "$prev" in
                --log) log="$a"; prev=""; continue;;
                --root|--log-format|--criu) prev=""; continue;;
              esac
              case "$a" in
                --root|--log|--log-format|--criu) prev="$a";;
                -*) ;;
                *) cmd="$a"; break;;
              esac
            done
            if [ -n "$cmd" ] && [ -f "$faults/$cmd" ] && mv "$faults/$cmd" "$faults/$cmd.taken" 2>/dev/null; then
              action=$(cat "$faults/$cmd.taken")
              echo $$ > "$faults/$cmd.held"
              case "$action" in
                block) while [ ! -e "$faults/$cmd.release" ]; do sleep 0.05; done ;;
                hang) exec sleep 600 ;;
                fail*)
                  msg=${action#fail }
                  [ -n "$log" ] && printf '{"level":"error","msg":"%s","time":"2024-01-01T00:00:00Z"}\\n' "$msg" >> "$log"
                  exit 1 ;;
              esac
            fi
            exec /usr/bin/runc "$@"
            """;
}
