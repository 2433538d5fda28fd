package jrunc.e2e;

/** {@link OomEventIT} on Go's containerd-shim-runc-v2, the reference. */
@ContainerdTest(shim = Shim.RUNC_V2)
class OomEventRuncV2IT extends OomEventIT {
}
