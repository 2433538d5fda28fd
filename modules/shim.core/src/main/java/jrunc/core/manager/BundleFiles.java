package jrunc.core.manager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import jrunc.core.json.JsonReader;
import jrunc.core.json.JsonReader.Token;
import jrunc.core.runc.Runc;

/**
 * The files of a task bundle ({@code <state>/io.containerd.runtime.v2.task/<ns>/<id>}) that the shim reads and writes;
 * {@link BundleReader} reads them.
 * Names and formats are the runc shim's, so containerd, Go's shim and shim-doctor all read each other's bundles.
 */
public final class BundleFiles {
    /**
     * containerd 2.x records the shim's start reply here and reads it back on restart (containerd v2.1.4
     * core/runtime/v2/shim_manager.go, restoreBootstrapParams); Go's 2.x shim writes no {@code address} file.
     */
    public static final String BOOTSTRAP = "bootstrap.json";
    public static final String ADDRESS = "address", CONFIG = "config.json", INIT_PID = "init.pid", LOG = "log",
            LOG_JSON = "log.json", OPTIONS = "options.json", RUNTIME = "runtime", ROOTFS = "rootfs";
    /** runc's state root when the options name none; {@code /<namespace>} is appended. */
    public static final String DEFAULT_RUNC_ROOT = Runc.DEFAULT_ROOT.toString();
    public static final String DEFAULT_RUNC_BINARY = Runc.DEFAULT_BINARY;

    private BundleFiles() {}

    /**
     * The shim's socket address a bundle records: the {@code address} file's text (what the shim's start wrote), or,
     * without one, the {@code address} field of {@code bootstrap.json} (containerd 2.x). Either text is given as
     * read by the caller ({@link BundleReader}); null for an absent file.
     *
     * @return the address, or null when neither names one
     */
    public static String shimAddress(String addressFile, String bootstrapJson) {
        if (addressFile != null) return addressFile;
        if (bootstrapJson == null) return null;
        try (JsonReader p = JsonReader.of(bootstrapJson.getBytes(StandardCharsets.UTF_8))) {
            if (p.next() != Token.START_OBJECT) return null;
            while (p.next() == Token.FIELD_NAME) {
                String field = p.text();
                Token t = p.next();
                if (field.equals(ADDRESS) && t == Token.STRING) return p.text();
                p.skipChildren();
            }
        } catch (IOException e) {
            // not JSON: no address to be had from it
        }
        return null;
    }

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
}
