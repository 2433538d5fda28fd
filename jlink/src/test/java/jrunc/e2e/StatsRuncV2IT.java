package jrunc.e2e;

/** {@link StatsIT} on Go's {@code containerd-shim-runc-v2}: the reference behaviour. */
@ContainerdTest(shim = Shim.RUNC_V2)
class StatsRuncV2IT extends StatsIT {
}
