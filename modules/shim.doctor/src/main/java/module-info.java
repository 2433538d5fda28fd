/** shim-doctor: finds a crash's leftovers on a node and cleans them with the shim's Stop path. */
module shim.doctor {
    requires shim.core;
    // jrunc.linux.node (NodeScanner, Cleaner) is exported to this module only.
    requires shim.linux;
    requires com.fasterxml.jackson.databind;
    requires info.picocli;
    requires org.jline.reader;
    requires org.jline.terminal;
    uses jrunc.core.spi.OperatingSystem;
    // picocli fills the command classes reflectively: only this package, only to picocli.
    opens jrunc.doctor to info.picocli;
}
