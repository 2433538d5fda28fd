/** The shim binary containerd runs: {@code containerd-shim-jrunc-v2 [flags] start|delete}, or serve with no action. */
module shim.cli {
    requires shim.core;
    requires jdk.net;
    uses jrunc.core.spi.OperatingSystem;
    provides java.lang.System.LoggerFinder with jrunc.cli.ShimLog;
}
