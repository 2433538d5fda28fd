package jrunc.e2e;

/** {@link TaskLifecycleIT} on Go's {@code containerd-shim-runc-v2}: the reference behaviour. */
@ContainerdTest(shim = Shim.RUNC_V2)
class TaskLifecycleRuncV2IT extends TaskLifecycleIT {
}
