package jrunc.e2e;

/** {@link OomEventIT} on our shim from the jlink image. */
@ContainerdTest(shim = Shim.JRUNC)
class OomEventJruncIT extends OomEventIT {
}
