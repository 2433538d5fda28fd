/** The Linux implementation of jrunc's OS interfaces: the only module that makes native calls (through FFM). */
module shim.linux {
    requires shim.core;

    // reached only through ServiceLoader (OperatingSystem.load()), so no package is exported
    provides jrunc.core.spi.OperatingSystem with jrunc.linux.LinuxOperatingSystem;
}
