package jrunc.linux;

import static jrunc.linux.Children.OS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.Reaper;
import jrunc.core.spi.Spawn;
import jrunc.linux.ffi.Constants;
import org.junit.jupiter.api.Test;

class ProcessAttributesTest {

    @Test
    void effectiveIdsAreThoseOfThisProcess() throws Exception {
        assertEquals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"), OS.euid());
        assertEquals(Files.getAttribute(Path.of("/proc/self"), "unix:gid"), OS.egid());
    }

    @Test
    void oomScoreAdjRoundTripOnAChild() throws Exception {
        Reaper.Child sleeper = Children.sleeper();
        try {
            OS.setOomScoreAdj(sleeper.pid(), 501);
            assertEquals(501, OS.oomScoreAdj(sleeper.pid()));
        } finally {
            Children.kill(sleeper);
        }
    }

    @Test
    void joinCgroupMovesAChildIntoEveryMountedHierarchy() throws Exception {
        String name = "jrunc-test-" + UUID.randomUUID().toString().substring(0, 8);
        List<CgroupHierarchy> hierarchies = CgroupHierarchy.parse(OS.mountInfo());
        Reaper.Child sleeper = Children.sleeper();
        try {
            OS.joinCgroup(sleeper.pid(), "/" + name);
            List<String> lines = Files.readAllLines(Path.of("/proc/" + sleeper.pid() + "/cgroup"));
            // "id:controllers:/path", one line per hierarchy
            assertEquals(hierarchies.size(), lines.size(), lines.toString());
            for (String line : lines) assertTrue(line.endsWith(":/" + name), lines.toString());
        } finally {
            Children.kill(sleeper);
            for (CgroupHierarchy hierarchy : hierarchies) Files.deleteIfExists(hierarchy.mountPoint().resolve(name));
        }
    }

    @Test
    void schedCoreCookieForAProcessGroupOrAnErrnoTheCallerCanLog() throws Exception {
        Reaper.Child leader = OS.reaper().start(Spawn.of(List.of("sleep", "60")).inNewProcessGroup());
        try {
            OS.createSchedCoreCookie(leader.pid());
        } catch (ErrnoException e) {
            // a kernel without CONFIG_SCHED_CORE, or a machine without SMT
            if (!Set.of(ErrnoException.EINVAL, Constants.ENODEV).contains(e.errno())) fail(e);
        } finally {
            Children.kill(leader);
        }
    }
}
