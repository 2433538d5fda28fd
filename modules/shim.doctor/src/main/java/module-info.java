/**
 * shim-doctor: finds a crash's leftovers on a node and cleans them with the shim's Stop path. It reads the node
 * itself (no native calls of its own) and reaches the kernel only through {@code jrunc.core.spi.OperatingSystem},
 * whose provider ({@code shim.linux}) is found by ServiceLoader.
 */
module shim.doctor {
    requires shim.core;
    requires com.fasterxml.jackson.databind;
    requires info.picocli;
    requires org.jline.reader;
    requires org.jline.terminal;
    uses jrunc.core.spi.OperatingSystem;
    // picocli fills the command classes reflectively: only this package, only to picocli.
    opens jrunc.doctor to info.picocli;
}
