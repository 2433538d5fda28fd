package jrunc.core.mount;

import static jrunc.core.spi.OperatingSystem.MountFlags.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class MountOptionsTest {
    record Case(List<String> options, long flags, String data) {
        @Override
        public String toString() {
            return options.toString();
        }
    }

    static Stream<Case> table() {
        return Stream.of(
                new Case(List.of(), 0, ""),
                new Case(List.of("defaults"), 0, ""),
                new Case(List.of("ro"), MS_RDONLY, ""),
                new Case(List.of("ro", "rw"), 0, ""),
                new Case(List.of("bind"), MS_BIND, ""),
                new Case(List.of("rbind", "ro"), MS_BIND | MS_REC | MS_RDONLY, ""),
                new Case(List.of("nosuid", "nodev", "noexec"), MS_NOSUID | MS_NODEV | MS_NOEXEC, ""),
                new Case(List.of("nosuid", "suid"), 0, ""),
                new Case(List.of("nodev", "dev"), 0, ""),
                new Case(List.of("noexec", "exec"), 0, ""),
                new Case(List.of("sync"), MS_SYNCHRONOUS, ""),
                new Case(List.of("sync", "async"), 0, ""),
                new Case(List.of("dirsync"), MS_DIRSYNC, ""),
                new Case(List.of("remount"), MS_REMOUNT, ""),
                new Case(List.of("mand"), MS_MANDLOCK, ""),
                new Case(List.of("mand", "nomand"), 0, ""),
                new Case(List.of("noatime"), MS_NOATIME, ""),
                new Case(List.of("noatime", "atime"), 0, ""),
                new Case(List.of("nodiratime"), MS_NODIRATIME, ""),
                new Case(List.of("nodiratime", "diratime"), 0, ""),
                new Case(List.of("relatime"), MS_RELATIME, ""),
                new Case(List.of("relatime", "norelatime"), 0, ""),
                new Case(List.of("strictatime"), MS_STRICTATIME, ""),
                new Case(List.of("strictatime", "nostrictatime"), 0, ""),
                new Case(List.of("private"), MS_PRIVATE, ""),
                new Case(List.of("rprivate"), MS_PRIVATE | MS_REC, ""),
                new Case(List.of("shared"), MS_SHARED, ""),
                new Case(List.of("rshared"), MS_SHARED | MS_REC, ""),
                new Case(List.of("slave"), MS_SLAVE, ""),
                new Case(List.of("rslave"), MS_SLAVE | MS_REC, ""),
                new Case(List.of("unbindable"), MountOptions.MS_UNBINDABLE, ""),
                new Case(List.of("runbindable"), MountOptions.MS_UNBINDABLE | MS_REC, ""),
                new Case(List.of("index=off", "lowerdir=/a:/b", "upperdir=/u", "workdir=/w"), 0,
                        "index=off,lowerdir=/a:/b,upperdir=/u,workdir=/w"),
                new Case(List.of("ro", "mode=755", "nosuid", "size=65536k"), MS_RDONLY | MS_NOSUID, "mode=755,size=65536k"));
    }

    @ParameterizedTest
    @MethodSource("table")
    void optionsSplitIntoFlagsAndData(Case c) {
        MountOptions parsed = MountOptions.parse(c.options());
        assertEquals(c.flags(), parsed.flags());
        assertEquals(c.data(), parsed.data());
        assertFalse(parsed.loop());
    }

    @Test
    void loopIsRecognisedAndNotPassedAsData() {
        MountOptions parsed = MountOptions.parse(List.of("loop", "ro"));
        assertTrue(parsed.loop());
        assertEquals("", parsed.data());
    }

    @Test
    void readOnlyBindNeedsARemount() {
        assertTrue(MountOptions.parse(List.of("rbind", "ro")).isReadOnlyBind());
        assertFalse(MountOptions.parse(List.of("rbind", "rw")).isReadOnlyBind());
        assertFalse(MountOptions.parse(List.of("ro")).isReadOnlyBind());
    }

    @Test
    void propagationIsAppliedSeparately() {
        MountOptions parsed = MountOptions.parse(List.of("rbind", "rprivate"));
        assertEquals(MS_BIND | MS_REC, parsed.mountFlags());
        assertEquals(MS_PRIVATE | MS_REC, parsed.propagationFlags());
        assertEquals(0, MountOptions.parse(List.of("rbind")).propagationFlags());
    }

    @Test
    void remountWithoutDataSkipsTheMountCall() {
        assertFalse(MountOptions.parse(List.of("remount", "ro")).needsMountCall());
        assertTrue(MountOptions.parse(List.of("remount", "ro", "size=1m")).needsMountCall());
        assertTrue(MountOptions.parse(List.of("ro")).needsMountCall());
    }
}
