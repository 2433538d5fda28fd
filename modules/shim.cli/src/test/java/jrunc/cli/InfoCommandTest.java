package jrunc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import jrunc.proto.runc.Options;
import jrunc.proto.types.RuntimeInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code -info} as containerd 2.x's CRI runs it: options Any in, RuntimeInfo out, runc asked for its features. */
class InfoCommandTest {
    private static final String FEATURES = "{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"1.1.0\"}";

    @TempDir
    Path dir;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private Path fakeRunc(String body) throws Exception {
        Path runc = dir.resolve("runc");
        Files.writeString(runc, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(runc, PosixFilePermissions.fromString("rwx------"));
        return runc;
    }

    private int info(byte[] stdin) {
        return InfoCommand.run(new ByteArrayInputStream(stdin), new PrintStream(out, true),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static byte[] optionsNaming(Path runc) {
        return Any.newBuilder().setTypeUrl("containerd.runc.v1.Options")
                .setValue(Options.newBuilder().setBinaryName(runc.toString()).build().toByteString()).build().toByteArray();
    }

    @Test
    void infoReportsTheFeaturesOfTheRuncTheOptionsName() throws Exception {
        Path runc = fakeRunc("[ \"$1\" = features ] && printf '%s' '" + FEATURES + "'");

        assertEquals(0, info(optionsNaming(runc)), err::toString);

        RuntimeInfo info = RuntimeInfo.parseFrom(out.toByteArray());
        assertEquals("io.containerd.jrunc.v2", info.getName());
        assertEquals(ShimMain.VERSION, info.getVersion().getVersion());
        assertEquals("containerd.runc.v1.Options", info.getOptions().getTypeUrl());
        assertEquals(runc.toString(), Options.parseFrom(info.getOptions().getValue()).getBinaryName());
        assertEquals("types.containerd.io/opencontainers/runtime-spec/1/features/Features", info.getFeatures().getTypeUrl());
        assertEquals(FEATURES, info.getFeatures().getValue().toStringUtf8());
        assertEquals("", err.toString());
    }

    @Test
    void aRuncWithoutFeaturesLeavesThemOutAndSaysSo() throws Exception {
        Path runc = fakeRunc("echo 'No help topic for features' >&2; exit 3");

        assertEquals(0, info(optionsNaming(runc)));

        RuntimeInfo info = RuntimeInfo.parseFrom(out.toByteArray());
        assertFalse(info.hasFeatures());
        assertTrue(err.toString().contains("features exited with 3"), err.toString());
    }

    @Test
    void anUnknownOptionsTypeIsNamedOnStderrAndTheDefaultsAnswer() throws Exception {
        byte[] unknown = Any.newBuilder().setTypeUrl("example.com/other.Options").build().toByteArray();
        int code = info(unknown);
        assertTrue(err.toString().contains("example.com/other.Options"), err.toString());
        // the default runc is runc on PATH: there is one on this machine, or the lookup fails plainly
        if (code == 0) {
            assertEquals("io.containerd.jrunc.v2", RuntimeInfo.parseFrom(out.toByteArray()).getName());
        } else {
            assertTrue(err.toString().contains("failed to look up the path of \"runc\""), err.toString());
        }
    }

    @Test
    void aRuncThatDoesNotExistIsAnError() {
        assertEquals(1, info(optionsNaming(dir.resolve("missing-runc"))));
        assertTrue(err.toString().contains("failed to look up the path of"), err.toString());
        assertEquals(0, out.size(), "nothing on stdout: containerd would decode it");
    }

    @Test
    void stdinThatIsNotAnAnyIsAnError() {
        assertEquals(1, info(new byte[] {(byte) 0xff, (byte) 0xff}));
        assertTrue(err.toString().contains("failed to read runtime options"), err.toString());
    }
}
