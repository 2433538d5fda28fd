/** The Linux implementation of jrunc's OS interfaces: the only module that makes native calls (through FFM). */
module shim.linux {
    requires shim.core;
    // shim-doctor reads the node (bundles, sockets, /proc, mountinfo) and carries out its clean plan through these.
    exports jrunc.linux.node to shim.doctor;
    // the shim itself reaches this module only through ServiceLoader (OperatingSystem.load())
    provides jrunc.core.spi.OperatingSystem with jrunc.linux.LinuxOperatingSystem;
}
