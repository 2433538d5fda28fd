package jrunc.e2e;

/** {@link GroupedTasksIT} on Go's {@code containerd-shim-runc-v2}: the reference behaviour. */
@ContainerdTest(shim = Shim.RUNC_V2)
class GroupedTasksRuncV2IT extends GroupedTasksIT {
}
