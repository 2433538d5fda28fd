package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShimFlagsTest {

    @Test
    void aWarmSpareIsMarkedByItsOwnFlagsWithTheIdleTimeInSeconds() {
        ShimFlags f = ShimFlags.parse(List.of("-namespace", "default", "-id", SpareKey.ID_SLOT, "-address", "/run/c.sock",
                "-spare", "-spare-idle", "90"));
        assertTrue(f.spare());
        assertEquals(java.time.Duration.ofSeconds(90), f.spareIdle());
        assertTrue(f.action().isEmpty());
        ShimFlags daemon = ShimFlags.parse(List.of("-namespace", "default", "-id", "c1", "-address", "/run/c.sock"));
        assertTrue(!daemon.spare(), "containerd never passes -spare");
        for (String bad : List.of("0", "-3", "ten", "86401")) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> ShimFlags.parse(List.of("-namespace", "n", "-spare-idle", bad)));
            assertTrue(e.getMessage().contains("-spare-idle"), e.getMessage());
        }
    }

    @Test
    void infoAsContainerd2RunsItNeedsNoNamespace() {
        ShimFlags f = ShimFlags.parse(List.of("-info"));
        assertTrue(f.info());
        assertFalse(f.isStart());
        assertFalse(ShimFlags.parse(List.of("-namespace", "n", "start")).info());
    }

    @Test
    void parsesWhatContainerd16PassesToStart() {
        ShimFlags f = ShimFlags.parse(List.of("-namespace", "k8s.io", "-address", "/run/containerd/containerd.sock",
                "-publish-binary", "/usr/bin/containerd", "-id", "c1", "-debug", "start"));
        assertEquals("k8s.io", f.namespace());
        assertEquals("c1", f.id());
        assertEquals("/run/containerd/containerd.sock", f.address());
        assertTrue(f.debug());
        assertTrue(f.isStart());
        assertFalse(f.isDelete());
    }

    @Test
    void acceptsEqualsFormAndDoubleDashes() {
        ShimFlags f = ShimFlags.parse(List.of("--namespace=n", "-id=x", "-bundle=/b", "-debug=false", "delete"));
        assertEquals("n", f.namespace());
        assertEquals("x", f.id());
        assertEquals("/b", f.bundle());
        assertFalse(f.debug());
        assertTrue(f.isDelete());
    }

    @Test
    void noActionWordMeansServe() {
        ShimFlags f = ShimFlags.parse(List.of("-namespace", "n", "-id", "x", "-address", "/a", "-socket", "/tmp/s"));
        assertTrue(f.action().isEmpty());
        assertEquals("/tmp/s", f.socket());
    }

    @Test
    void versionNeedsNoNamespace() {
        ShimFlags f = ShimFlags.parse(List.of("-v"));
        assertTrue(f.version());
        assertThrows(IllegalArgumentException.class, () -> ShimFlags.parse(List.of("start")).requireNamespace());
    }

    @Test
    void rejectsWhatGoRejects() {
        assertEquals("flag provided but not defined: -bogus",
                assertThrows(IllegalArgumentException.class, () -> ShimFlags.parse(List.of("-bogus"))).getMessage());
        assertEquals("flag needs an argument: -id",
                assertThrows(IllegalArgumentException.class, () -> ShimFlags.parse(List.of("-id"))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> ShimFlags.parse(List.of("-debug=maybe")));
        assertThrows(IllegalArgumentException.class, () -> ShimFlags.parse(List.of("-namespace", "n", "stop")));
    }

    @Test
    void doubleDashEndsFlags() {
        ShimFlags f = ShimFlags.parse(List.of("-namespace", "n", "--", "delete"));
        assertTrue(f.isDelete());
    }
}
