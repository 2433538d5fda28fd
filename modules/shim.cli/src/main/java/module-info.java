/** The shim binary containerd runs: {@code containerd-shim-jrunc-v2 [flags] start|delete}, or serve with no action. */
module shim.cli {
    requires shim.core;
    requires jdk.net;
    // sun.misc.Signal: SIGUSR1 dumps the threads into the shim's log
    requires jdk.unsupported;
    uses jrunc.core.spi.OperatingSystem;
    provides java.lang.System.LoggerFinder with jrunc.cli.ShimLog;
}
