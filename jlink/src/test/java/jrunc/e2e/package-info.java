/**
 * End-to-end tests: real {@code ctr} commands against a private containerd, with Go's shim and ours.
 *
 * <p>To write one, put {@code @Test} methods taking a {@link jrunc.e2e.Ctr} in an abstract class and annotate one
 * subclass per shim with {@code @ContainerdTest(shim = Shim.RUNC_V2)} / {@code Shim.JRUNC}; name the subclasses
 * {@code *IT} so failsafe runs them. Each class gets its own {@link jrunc.e2e.PrivateContainerd}; each test a
 * fresh namespace with {@link jrunc.e2e.BusyboxImage#REF} imported. Crash tests use
 * {@code ctr.containerd().kill9()} and {@code restart()}; whatever they orphan is swept when the class ends.
 */
package jrunc.e2e;
