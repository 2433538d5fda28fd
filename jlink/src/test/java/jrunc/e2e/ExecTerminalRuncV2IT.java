package jrunc.e2e;

/** {@link ExecTerminalIT} on Go's containerd-shim-runc-v2, the reference. */
@ContainerdTest(shim = Shim.RUNC_V2)
class ExecTerminalRuncV2IT extends ExecTerminalIT {
}
