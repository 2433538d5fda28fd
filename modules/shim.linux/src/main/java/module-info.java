/** The Linux implementation of jrunc's OS interfaces: the only module that makes native calls (through FFM). */
module shim.linux {
    requires shim.core;
    exports jrunc.linux to shim.cli, shim.doctor;
    provides jrunc.core.spi.OperatingSystem with jrunc.linux.LinuxOperatingSystem;
}
