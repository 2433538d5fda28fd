package jrunc.e2e;

/** {@link StatsIT} on our shim from the jlink image. */
@ContainerdTest(shim = Shim.JRUNC)
class StatsJruncIT extends StatsIT {
}
