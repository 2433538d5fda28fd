package jrunc.core.runc;

import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import jrunc.core.json.JsonReader;
import jrunc.core.json.JsonReader.Token;

/**
 * runc's {@code --log <bundle>/log.json --log-format json}: one JSON object per line with {@code level}, {@code msg}
 * and {@code time}. The last {@code "level":"error"} message is what the user should read when a runc command
 * fails (containerd's {@code getLastRuntimeError}, {@code pkg/process/utils.go}, v1.6.20).
 */
final class RuncLog {
    private final Path file;

    RuncLog(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** Current length, so that a failed command's error is looked for only in what that command wrote. */
    long size() {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.size();
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * The {@code msg} of the last error-level entry written at or after {@code offset}, or "" when there is none.
     * A malformed tail (runc killed mid-line) ends the scan; what was read before it still counts.
     */
    String lastError(long offset) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.position(Math.min(offset, ch.size()));
            return lastError(JsonReader.of(Channels.newInputStream(ch)));
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * Why a failed runc may have logged nothing, when its log's filesystem says: it is read-only, or has no space
     * left (runc's pid file and log go to the same bundle, so this is most often the failure itself); "" otherwise.
     */
    String whyNothingLogged() {
        Path dir = file.toAbsolutePath().getParent();
        try {
            FileStore store = Files.getFileStore(dir);
            if (store.isReadOnly()) return "the filesystem of " + dir + " is read-only";
            if (store.getUsableSpace() == 0) return "the filesystem of " + dir + " has no space left";
        } catch (IOException e) {
            // gone or unreadable: nothing to add to runc's exit status
        }
        return "";
    }

    static String lastError(JsonReader parser) {
        String last = "";
        try (parser) {
            Token token;
            while ((token = parser.next()) != null) {
                if (token != Token.START_OBJECT) {
                    parser.skipChildren();
                    continue;
                }
                String level = null, msg = null;
                while (parser.next() == Token.FIELD_NAME) {
                    String name = parser.text();
                    Token value = parser.next();
                    if (value == Token.STRING && name.equals("level")) level = parser.text();
                    else if (value == Token.STRING && name.equals("msg")) msg = parser.text();
                    else parser.skipChildren();
                }
                if ("error".equals(level) && msg != null) last = msg;
            }
        } catch (IOException malformed) {
            // keep what was found before the damage
        }
        return last;
    }
}
