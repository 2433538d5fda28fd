package jrunc.e2e;

/** {@link TaskLifecycleIT} on our shim from the jlink image. */
@ContainerdTest(shim = Shim.JRUNC)
class TaskLifecycleJruncIT extends TaskLifecycleIT {
}
