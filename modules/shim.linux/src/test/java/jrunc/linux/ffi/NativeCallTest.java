package jrunc.linux.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jrunc.core.spi.ErrnoException;
import org.junit.jupiter.api.Test;

/** The one downcall shape every libc function goes through ({@link Native}): results and errno as C has them. */
class NativeCallTest {

    private static final int EBADF = 9;

    @Test
    void anIntFailureComesBackAsMinusOneWithItsErrno() {
        ErrnoException e = assertThrows(ErrnoException.class, () -> Libc.close(-1));
        assertEquals(EBADF, e.errno());
    }

    @Test
    void anIntResultIsTheLowHalfOfTheRegister() {
        // root runs these tests: uid and gid 0, whatever the upper half of the return register holds
        assertEquals(0, Libc.geteuid());
        assertEquals(0, Libc.getegid());
    }

    @Test
    void aMissingSymbolIsReportedWhenCalledNotWhenNamed() {
        Native.Function missing = Native.function("jrunc_no_such_function");
        assertEquals(false, missing.exists());
        assertThrows(UnsatisfiedLinkError.class, () -> missing.call(null));
    }
}
