package jrunc.e2e;

/** {@link TerminalIT} on our shim from the jlink image. */
@ContainerdTest(shim = Shim.JRUNC)
class TerminalJruncIT extends TerminalIT {
}
