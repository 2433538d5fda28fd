package jrunc.core.manager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import jrunc.core.runc.Runc;

/**
 * The files of a task bundle ({@code <state>/io.containerd.runtime.v2.task/<ns>/<id>}) that the shim reads and writes;
 * {@link BundleReader} reads them.
 * Names and formats are the runc shim's, so containerd, Go's shim and shim-doctor all read each other's bundles.
 */
public final class BundleFiles {
    public static final String ADDRESS = "address", CONFIG = "config.json", INIT_PID = "init.pid", LOG = "log",
            LOG_JSON = "log.json", OPTIONS = "options.json", RUNTIME = "runtime", ROOTFS = "rootfs";
    /** runc's state root when the options name none; {@code /<namespace>} is appended. */
    public static final String DEFAULT_RUNC_ROOT = Runc.DEFAULT_ROOT.toString();
    public static final String DEFAULT_RUNC_BINARY = Runc.DEFAULT_BINARY;

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
}
