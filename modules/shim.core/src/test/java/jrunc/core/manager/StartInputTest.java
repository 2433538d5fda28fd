package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import jrunc.proto.bootstrap.BootstrapParams;
import jrunc.proto.bootstrap.LogLevel;
import org.junit.jupiter.api.Test;

class StartInputTest {
    private static final String ADDRESS = "unix:///run/containerd/s/0123abcd";

    /** runc options as containerd.runc.v1.Options: binary_name=6, shim_cgroup=3. */
    private static byte[] runcOptions() {
        return new Wire().string(3, "/shim").string(6, "/usr/local/bin/runc").build();
    }

    /** What containerd 2.3 writes: every field, the options wrapped by anypb (type.googleapis.com/…). */
    private static byte[] bootstrapParams() {
        return new Wire()
                .string(1, "c1")
                .string(2, "k8s.io")
                .varintField(3, -4) // LOG_LEVEL_DEBUG
                .string(4, "2.3.0")
                .string(5, "/run/containerd/containerd.sock.ttrpc")
                .string(6, "/run/containerd/containerd.sock")
                .string(7, "/usr/bin/containerd")
                .message(8, new Wire().bytes(1, Wire.any("type.googleapis.com/containerd.runc.v1.Options", runcOptions())))
                .string(9, "/run/containerd/s")
                .build();
    }

    @Test
    void nothingOnStdinMeansNoOptionsAndAPlainAddress() {
        StartInput input = StartInput.parse(new byte[0]);
        assertTrue(input.bootstrap().isEmpty());
        assertNull(input.options());
        assertArrayEquals(ADDRESS.getBytes(StandardCharsets.UTF_8), input.reply(ADDRESS));
    }

    @Test
    void anOptionsAnyAsContainerd16To22WriteItIsReadAndAnsweredWithAPlainAddress() {
        StartInput input = StartInput.parse(Wire.any("containerd.runc.v1.Options", runcOptions()));
        assertTrue(input.bootstrap().isEmpty());
        assertEquals("containerd.runc.v1.Options", input.options().getTypeUrl());
        assertEquals("/usr/local/bin/runc", RuntimeOptions.decode(input.options()).options().getBinaryName());
        assertArrayEquals(ADDRESS.getBytes(StandardCharsets.UTF_8), input.reply(ADDRESS));
    }

    @Test
    void anAnyOfTextLikeOptionsIsNotMistakenForBootstrapParams() {
        // CRI's runtimeoptions.v1.Options is all strings, so it also decodes as BootstrapParams' fields 1 and 2
        byte[] cri = Wire.any("runtimeoptions.v1.Options",
                new Wire().string(1, "containerd.runc.v1.Options").string(2, "/etc/jrunc/runc.toml").build());
        StartInput input = StartInput.parse(cri);
        assertTrue(input.bootstrap().isEmpty());
        assertEquals("runtimeoptions.v1.Options", input.options().getTypeUrl());
    }

    @Test
    void bootstrapParamsOfContainerd23AreReadWithEveryField() {
        StartInput input = StartInput.parse(bootstrapParams());
        BootstrapParams params = input.bootstrap().orElseThrow();
        assertEquals("c1", params.getInstanceId());
        assertEquals("k8s.io", params.getNamespace());
        assertEquals(LogLevel.LOG_LEVEL_DEBUG, params.getLogLevel());
        assertEquals("2.3.0", params.getContainerdVersion());
        assertEquals("/run/containerd/containerd.sock.ttrpc", params.getContainerdTtrpcAddress());
        assertEquals("/run/containerd/containerd.sock", params.getContainerdGrpcAddress());
        assertEquals("/usr/bin/containerd", params.getContainerdBinary());
        assertEquals("/run/containerd/s", params.getSocketDir());
        // the runtime options travel in the extensions
        RuntimeOptions.Decoded options = RuntimeOptions.decode(input.options());
        assertEquals("/usr/local/bin/runc", options.options().getBinaryName());
        assertEquals("/shim", options.options().getShimCgroup());
    }

    @Test
    void bootstrapParamsAreAnsweredWithABootstrapResultOfVersion3OverTtrpc() {
        byte[] reply = StartInput.parse(bootstrapParams()).reply(ADDRESS);
        byte[] expected = new Wire().varintField(1, 3).string(2, ADDRESS).string(3, "ttrpc").build();
        assertArrayEquals(expected, reply);
    }

    @Test
    void bootstrapParamsWithoutOptionsLeaveDefaults() {
        byte[] params = new Wire().string(1, "c1").string(2, "default").string(4, "2.3.0").build();
        StartInput input = StartInput.parse(params);
        assertTrue(input.bootstrap().isPresent());
        assertNull(input.options());
        assertFalse(input.bootstrap().get().hasSocketDir());
    }

    @Test
    void theFirstExtensionWithRuncOptionsIsTheOneRead() {
        byte[] params = new Wire().string(1, "c1").string(4, "2.3.0")
                .message(8, new Wire().bytes(1, Wire.any("type.googleapis.com/example.Other", new byte[] {8, 1})))
                .message(8, new Wire().bytes(1, Wire.any("containerd.runc.v1.Options", runcOptions())))
                .build();
        assertEquals("containerd.runc.v1.Options", StartInput.parse(params).options().getTypeUrl());
    }

    @Test
    void garbageOnStdinIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StartInput.parse(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}));
        assertTrue(e.getMessage().contains("neither"), e.getMessage());
    }
}
