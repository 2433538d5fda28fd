package jrunc.e2e;

/**
 * The same baseline against our shim from the jlink image. Skipped, loudly, only while the image has no
 * {@code bin/containerd-shim-jrunc-v2} (see {@link PrivateContainerdExtension}).
 */
@ContainerdTest(shim = Shim.JRUNC)
class BaselineJruncIT extends BaselineShimTests {
}
