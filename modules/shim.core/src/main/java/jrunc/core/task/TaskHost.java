package jrunc.core.task;

import java.nio.file.Path;
import jrunc.core.spi.OperatingSystem;

/**
 * What every container and process of one shim shares, handed to them rather than reached through globals.
 *
 * @param os      the kernel
 * @param exits   matches reaped exits to processes
 * @param tempDir where exec specs and console sockets go ($XDG_RUNTIME_DIR, else the temp dir, as go-runc)
 */
record TaskHost(OperatingSystem os, ExitRouter exits, Path tempDir) {}
