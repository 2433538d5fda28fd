/**
 * End-to-end tests: real {@code ctr} commands and the kubelet's CRI calls against a private containerd, with Go's
 * shim and ours.
 *
 * <p>To write one, put {@code @Test} methods taking a {@link jrunc.e2e.Ctr} in an abstract class and annotate one
 * subclass per shim with {@code @ContainerdTest(shim = Shim.RUNC_V2)} / {@code Shim.JRUNC}; name the subclasses
 * {@code *RuncV2IT} and {@code *JruncIT}, so failsafe runs them once per containerd release (1.6, 1.7, 2.x; see
 * {@link jrunc.e2e.ContainerdRelease} and the executions in {@code jlink/pom.xml}). Each class gets its own
 * {@link jrunc.e2e.PrivateContainerd} of that release, with the release's own Go shim as the reference; each test a
 * fresh namespace with {@link jrunc.e2e.BusyboxImage#REF} imported. Crash tests use {@code ctr.containerd().kill9()}
 * and {@code restart()}; whatever they orphan is swept when the class ends. Pods through CRI: {@link
 * jrunc.e2e.CriNode} and {@link jrunc.e2e.CriPodTests}.
 */
package jrunc.e2e;
