package jrunc.e2e;

/** {@link InterruptedCreateIT} on our shim from the jlink image. */
@ContainerdTest(shim = Shim.JRUNC)
class InterruptedCreateJruncIT extends InterruptedCreateIT {
}
