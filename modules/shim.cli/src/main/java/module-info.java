/** The shim binary containerd runs: {@code containerd-shim-jrunc-v2 [flags] start|delete}, or serve with no action. */
module shim.cli {
    requires shim.core;
    uses jrunc.core.spi.OperatingSystem;
}
