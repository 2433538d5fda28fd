package jrunc.core.manager;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.OptionalInt;
import jrunc.core.runc.Runc;

/**
 * The files of a task bundle ({@code <state>/io.containerd.runtime.v2.task/<ns>/<id>}) that the shim reads and writes.
 * Names and formats are the runc shim's, so containerd, Go's shim and shim-doctor all read each other's bundles.
 */
public final class BundleFiles {
    public static final String ADDRESS = "address", CONFIG = "config.json", INIT_PID = "init.pid", LOG = "log",
            LOG_JSON = "log.json", OPTIONS = "options.json", RUNTIME = "runtime", ROOTFS = "rootfs";
    /** runc's state root when the options name none; {@code /<namespace>} is appended. */
    public static final String DEFAULT_RUNC_ROOT = Runc.DEFAULT_ROOT.toString();
    public static final String DEFAULT_RUNC_BINARY = Runc.DEFAULT_BINARY;
    private static final JsonFactory JSON = new JsonFactory();

    private BundleFiles() {}

    /**
     * Writes {@code address} as containerd reads it: exactly the address, no newline, through a temp file and a rename
     * so a reader never sees half of it.
     */
    public static void writeAddress(Path bundle, String address) throws IOException {
        Path tmp = bundle.resolve("." + ADDRESS);
        Files.writeString(tmp, address, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, bundle.resolve(ADDRESS), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, bundle.resolve(ADDRESS), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The pid in {@code init.pid}, or empty when the file is missing or does not hold a positive number. */
    public static OptionalInt readInitPid(Path bundle) throws IOException {
        try {
            String text = Files.readString(bundle.resolve(INIT_PID)).trim();
            int pid = Integer.parseInt(text);
            return pid > 0 ? OptionalInt.of(pid) : OptionalInt.empty();
        } catch (NoSuchFileException e) {
            return OptionalInt.empty();
        } catch (NumberFormatException e) {
            throw new IOException(INIT_PID + " does not hold a pid: " + e.getMessage(), e);
        }
    }

    /** What {@code runtime} and {@code options.json} say about runc. */
    public record RuncSettings(String binary, String root, boolean systemdCgroup, boolean runtimeFileMissing) {}

    /**
     * The runc binary (file {@code runtime}; empty = {@code runc}) and root ({@code options.json} {@code root}, default
     * {@value #DEFAULT_RUNC_ROOT}). Unlike the Go shim, a missing {@code runtime} file means the default runc: a shim
     * that died half-way through Create must still be cleanable.
     */
    public static RuncSettings readRuncSettings(Path bundle) throws IOException {
        String binary = DEFAULT_RUNC_BINARY;
        boolean missing = false;
        try {
            String text = Files.readString(bundle.resolve(RUNTIME)).trim();
            if (!text.isEmpty()) binary = text;
        } catch (NoSuchFileException e) {
            missing = true;
        }
        String root = DEFAULT_RUNC_ROOT;
        boolean systemd = false;
        Path options = bundle.resolve(OPTIONS);
        if (Files.exists(options)) {
            try (JsonParser p = JSON.createParser(Files.readAllBytes(options))) {
                if (p.nextToken() == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String field = p.currentName();
                        JsonToken t = p.nextToken();
                        if (field.equals("root") && t == JsonToken.VALUE_STRING && !p.getText().isEmpty()) root = p.getText();
                        else if (field.equals("systemd_cgroup") && t.isBoolean()) systemd = p.getBooleanValue();
                        else p.skipChildren();
                    }
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(OPTIONS + ": " + e.getOriginalMessage(), e);
            }
        }
        return new RuncSettings(binary, root, systemd, missing);
    }
}
