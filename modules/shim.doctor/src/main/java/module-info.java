/** shim-doctor: finds a crash's leftovers on a node and cleans them with the shim's Stop path. */
module shim.doctor {
    requires shim.core;
    requires com.fasterxml.jackson.databind;
    requires info.picocli;
    requires org.jline.reader;
    requires org.jline.terminal;
    uses jrunc.core.spi.OperatingSystem;
    opens jrunc.doctor to info.picocli;
}
