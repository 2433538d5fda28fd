package jrunc.e2e;

/** {@link CheckpointIT} on our shim from the jlink image. */
@ContainerdTest(shim = Shim.JRUNC)
class CheckpointJruncIT extends CheckpointIT {
}
