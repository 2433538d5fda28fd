package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The one parse of config.json, and runc's state.json, that the shim and shim-doctor share. */
class BundleSpecTest {

    private static BundleSpec spec(String annotations) throws IOException {
        return BundleSpec.parse(("{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"env\":[\"A=1\"]},"
                + "\"annotations\":{" + annotations + "},\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]}}")
                .getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void groupAnnotationWinsOverTheSandboxId() throws IOException {
        assertEquals("g1", spec("\"io.kubernetes.cri.sandbox-id\":\"sb\",\"io.containerd.runc.v2.group\":\"g1\"").groupKey("c1"));
        assertEquals("sb", spec("\"io.kubernetes.cri.sandbox-id\":\"sb\"").groupKey("c1"));
        assertEquals("c1", spec("").groupKey("c1"));
    }

    /** Go's {@code if groupID, ok := spec.Annotations[group]; ok}: present-but-empty is a group, the empty one. */
    @Test
    void anEmptyGroupAnnotationIsTheEmptyGroupNotTheId() throws IOException {
        assertEquals("", spec("\"io.containerd.runc.v2.group\":\"\",\"io.kubernetes.cri.sandbox-id\":\"sb\"").groupKey("c1"));
        assertEquals("", spec("\"io.kubernetes.cri.sandbox-id\":\"\"").groupKey("c1"));
        // and that is the socket start binds: filepath.Join(address, ns, "") skips the empty element
        assertEquals(SocketAddress.hash("/run/containerd/containerd.sock", "default", ""),
                SocketAddress.hash("/run/containerd/containerd.sock", "default", spec("\"io.containerd.runc.v2.group\":\"\"").groupKey("c1")));
    }

    @Test
    void nestedAnnotationsDoNotCount() throws IOException {
        BundleSpec s = BundleSpec.parse("{\"process\":{\"annotations\":{\"io.containerd.runc.v2.group\":\"no\"}}}"
                .getBytes(StandardCharsets.UTF_8));
        assertEquals("c1", s.groupKey("c1"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"}]}}|false",
            "{\"linux\":{\"namespaces\":[{\"type\":\"pid\",\"path\":\"/proc/1/ns/pid\"}]}}|true",
            "{\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}|true",
            "{}|true"})
    void killAllOnExitUnlessTheContainerHasItsOwnPidNamespace(String json, boolean killAll) throws IOException {
        assertEquals(killAll, BundleSpec.parse(json.getBytes(StandardCharsets.UTF_8)).shouldKillAllOnExit());
    }

    @Test
    void cgroupsPathIsReadFromLinux() throws IOException {
        assertEquals("/default/x", BundleSpec.parse("{\"linux\":{\"cgroupsPath\":\"/default/x\"}}".getBytes()).cgroupsPath());
        assertEquals("", BundleSpec.parse("{}".getBytes()).cgroupsPath());
    }

    @Test
    void malformedSpecIsAClearError() {
        IOException e = assertThrows(IOException.class, () -> BundleSpec.parse("{\"annotations\":".getBytes()));
        assertTrue(e.getMessage().startsWith("config.json"), e.getMessage());
        assertThrows(IOException.class, () -> BundleSpec.parse("[]".getBytes()));
    }

    @Test
    void runcStateGivesInitPidStartTimeAndTheBundleRuncRecorded() throws IOException {
        RuncStateFile s = RuncStateFile.parse("""
                {"id":"x","init_process_pid":4242,"init_process_start":987654,"created":"2026-01-01T00:00:00Z",
                 "config":{"rootfs":"/r","labels":["io.containerd.runc.v2.group=g","bundle=/run/containerd/io.containerd.runtime.v2.task/default/x"],
                 "mounts":[{"source":"proc"}]},"namespace_paths":{"NEWPID":"/proc/4242/ns/pid"}}""".getBytes());
        assertEquals(new RuncStateFile(4242, 987654, Path.of("/run/containerd/io.containerd.runtime.v2.task/default/x")), s);
        assertEquals(new RuncStateFile(0, 0, null), RuncStateFile.parse("{}".getBytes()));
        assertFalse(RuncStateFile.parse("{\"config\":{\"labels\":[\"bundle=\"]}}".getBytes()).bundle() != null);
    }

    @Test
    void namesContainerdCouldHaveMade() {
        for (String ok : java.util.List.of("default", "k8s.io", "e2e-x-0f3a", "a_b.c-d", "A1")) assertTrue(Names.isIdentifier(ok), ok);
        for (String bad : java.util.List.of("", "..", ".", "a/b", "a\nb", "-a", "a-", "a..b", "x".repeat(77), "a b")) {
            assertFalse(Names.isIdentifier(bad), bad);
        }
    }

    @Test
    void printableEscapesControlCharactersSoNoNameForgesALine() {
        assertEquals("a\\nb\\tc\\\\d\\u001b[31m\\u0085", Names.printable("a\nb\tc\\d\u001b[31m\u0085"));
        assertEquals("plain/path", Names.printable("plain/path"));
    }
}
