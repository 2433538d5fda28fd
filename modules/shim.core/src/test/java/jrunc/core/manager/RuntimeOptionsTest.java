package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jrunc.proto.runc.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuntimeOptionsTest {
    @TempDir
    Path dir;

    private static Any any(String typeUrl, byte[] value) throws InvalidProtocolBufferException {
        return Any.parseFrom(Wire.any(typeUrl, value));
    }

    @Test
    void noOptionsMeanDefaultsWithoutAWarning() throws Exception {
        assertEquals(RuntimeOptions.Decoded.defaults(), RuntimeOptions.decode(null));
        assertEquals(List.of(), RuntimeOptions.decode(Any.getDefaultInstance()).warnings());
    }

    @Test
    void runcV1OptionsAreReadAsTheyAre() throws Exception {
        // shim_cgroup=3, binary_name=6, root=7, systemd_cgroup=9
        byte[] value = new Wire().string(3, "/pods/shim").string(6, "/usr/sbin/runc").string(7, "/run/alt")
                .bool(9, true).build();
        Options o = RuntimeOptions.decode(any("containerd.runc.v1.Options", value)).options();
        assertEquals("/pods/shim", o.getShimCgroup());
        assertEquals("/usr/sbin/runc", o.getBinaryName());
        assertEquals("/run/alt", o.getRoot());
        assertTrue(o.getSystemdCgroup());
    }

    @Test
    void aPrefixedTypeUrlNamesTheSameMessage() throws Exception {
        byte[] value = new Wire().string(6, "crun").build();
        assertEquals("crun", RuntimeOptions.decode(any("type.googleapis.com/containerd.runc.v1.Options", value))
                .options().getBinaryName());
    }

    @Test
    void legacyCreateOptionsFromCtrWithARuntimePathKeepTheShimCgroupAndTheRest() throws Exception {
        // containerd.linux.runc.CreateOptions: no_pivot_root=1, no_new_keyring=8, shim_cgroup=9, io_uid=10, io_gid=11
        byte[] value = new Wire().bool(1, true).bool(8, true).string(9, "/legacy/shim").varintField(10, 1000)
                .varintField(11, 1001).string(12, "/work").string(13, "/image").build();
        RuntimeOptions.Decoded decoded = RuntimeOptions.decode(any("containerd.linux.runc.CreateOptions", value));
        Options o = decoded.options();
        assertEquals(List.of(), decoded.warnings());
        assertTrue(o.getNoPivotRoot());
        assertTrue(o.getNoNewKeyring());
        assertEquals("/legacy/shim", o.getShimCgroup());
        assertEquals(1000, o.getIoUid());
        assertEquals(1001, o.getIoGid());
        assertEquals("/work", o.getCriuWorkPath());
        assertEquals("/image", o.getCriuImagePath());
    }

    @Test
    void legacyRuncOptionsNameTheBinaryRootAndCgroupDriver() throws Exception {
        byte[] value = new Wire().string(1, "/opt/runc").string(2, "/run/legacy").string(3, "/criu").bool(4, true).build();
        Options o = RuntimeOptions.decode(any("containerd.linux.runc.RuncOptions", value)).options();
        assertEquals("/opt/runc", o.getBinaryName());
        assertEquals("/run/legacy", o.getRoot());
        assertEquals("/criu", o.getCriuPath());
        assertTrue(o.getSystemdCgroup());
    }

    @Test
    void criRuntimeOptionsAreReadFromTheirConfigFile() throws Exception {
        Path file = Files.writeString(dir.resolve("runc.toml"), """
                # what an operator writes for a handler with runtime_type = "io.containerd.jrunc.v2"
                BinaryName = "/usr/local/sbin/runc"
                Root = "/run/jrunc-runc"
                ShimCgroup = "/kubepods/shims"
                SystemdCgroup = false
                """);
        byte[] value = new Wire().string(1, "containerd.runc.v1.Options").string(2, file.toString()).build();
        RuntimeOptions.Decoded decoded = RuntimeOptions.decode(any("runtimeoptions.v1.Options", value));
        assertEquals(List.of(), decoded.warnings());
        assertEquals("/usr/local/sbin/runc", decoded.options().getBinaryName());
        assertEquals("/run/jrunc-runc", decoded.options().getRoot());
        assertEquals("/kubepods/shims", decoded.options().getShimCgroup());
    }

    @Test
    void emptyCriRuntimeOptionsMeanNothingWasConfigured() throws Exception {
        assertEquals(RuntimeOptions.Decoded.defaults(), RuntimeOptions.decode(any("runtimeoptions.v1.Options", new byte[0])));
    }

    @Test
    void criRuntimeOptionsWithATypeButNoFileWarnAndUseDefaults() throws Exception {
        byte[] value = new Wire().string(1, "containerd.runc.v1.Options").build();
        RuntimeOptions.Decoded decoded = RuntimeOptions.decode(any("runtimeoptions.v1.Options", value));
        assertEquals(Options.getDefaultInstance(), decoded.options());
        assertTrue(decoded.warnings().getFirst().contains("without a config_path"), decoded.warnings().toString());
    }

    @Test
    void aMissingConfigFileIsAnErrorNamingIt() throws Exception {
        Path missing = dir.resolve("nope.toml");
        byte[] value = new Wire().string(2, missing.toString()).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RuntimeOptions.decode(any("runtimeoptions.v1.Options", value)));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void anUnknownTypeIsAWarningNamingItThenDefaults() throws Exception {
        RuntimeOptions.Decoded decoded = RuntimeOptions.decode(any("example.com/kata.v1.Options", new byte[] {8, 1}));
        assertEquals(Options.getDefaultInstance(), decoded.options());
        assertEquals(1, decoded.warnings().size());
        assertTrue(decoded.warnings().getFirst().contains("example.com/kata.v1.Options"), decoded.warnings().toString());
    }

    @Test
    void undecodableOptionsOfAKnownTypeAreAnError() {
        assertThrows(IllegalArgumentException.class,
                () -> RuntimeOptions.decode(any("containerd.runc.v1.Options", new byte[] {(byte) 0xff})));
    }

    @Test
    void systemdCgroupIsRefusedWhereSystemdDoesNotRunAndSaysWhatToChange() throws IOException {
        Options systemd = Options.newBuilder().setSystemdCgroup(true).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RuntimeOptions.requireUsable(systemd, dir.resolve("no-systemd")));
        assertTrue(e.getMessage().contains("systemd is not running"), e.getMessage());
        assertTrue(e.getMessage().contains("SystemdCgroup = false"), e.getMessage());

        Path booted = Files.createDirectories(dir.resolve("run/systemd/system"));
        RuntimeOptions.requireUsable(systemd, booted); // systemd runs: nothing to refuse
        RuntimeOptions.requireUsable(Options.getDefaultInstance(), dir.resolve("no-systemd"));
    }

    @Test
    void packedOptionsCarryTheBareMessageName() {
        Any packed = RuntimeOptions.pack(Options.newBuilder().setRoot("/r").build());
        assertEquals("containerd.runc.v1.Options", packed.getTypeUrl());
        assertFalse(packed.getValue().isEmpty());
    }
}
