package jrunc.e2e;

/** {@link TerminalIT} on Go's {@code containerd-shim-runc-v2}: the reference behaviour. */
@ContainerdTest(shim = Shim.RUNC_V2)
class TerminalRuncV2IT extends TerminalIT {
}
