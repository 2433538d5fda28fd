/** The Linux implementation of jrunc's OS interfaces: the only module that makes native calls (through FFM). */
module shim.linux {
    requires shim.core;
    exports jrunc.linux to shim.cli, shim.doctor;
    // shim-doctor reads the node (bundles, sockets, /proc, mountinfo) and carries out its clean plan through these.
    exports jrunc.linux.node to shim.doctor;
    provides jrunc.core.spi.OperatingSystem with jrunc.linux.LinuxOperatingSystem;
}
