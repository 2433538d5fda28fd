package jrunc.e2e;

/** {@link CheckpointIT} on Go's containerd-shim-runc-v2, the reference. */
@ContainerdTest(shim = Shim.RUNC_V2)
class CheckpointRuncV2IT extends CheckpointIT {
}
