package jrunc.e2e;

/** The baseline against Go's {@code containerd-shim-runc-v2}: proves the harness and pins the reference behaviour. */
@ContainerdTest(shim = Shim.RUNC_V2)
class BaselineRuncV2IT extends BaselineShimTests {
}
