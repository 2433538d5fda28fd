/** The Linux implementation of jrunc's OS interfaces: the only module that makes native calls (through FFM). */
module shim.linux {
    requires shim.core;
    // reached only through ServiceLoader (OperatingSystem.load()), by the shim and by shim-doctor alike
    provides jrunc.core.spi.OperatingSystem with jrunc.linux.LinuxOperatingSystem;
}
