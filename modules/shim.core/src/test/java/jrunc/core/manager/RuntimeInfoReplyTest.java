package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import jrunc.proto.runc.Options;
import jrunc.proto.types.RuntimeInfo;
import org.junit.jupiter.api.Test;

class RuntimeInfoReplyTest {

    @Test
    void infoCarriesNameVersionOptionsAndRuncFeaturesUnderTheirFieldNumbers() throws Exception {
        byte[] features = "{\"ociVersionMin\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8);
        Options options = Options.newBuilder().setBinaryName("/usr/sbin/runc").build();
        byte[] encoded = RuntimeInfoReply.of("io.containerd.jrunc.v2", "0.1.0", "", options, features).toByteArray();

        // name=1, version=2 {version=1}, options=3 {type_url=1, value=2}, features=4 {type_url=1, value=2}
        byte[] expected = new Wire()
                .string(1, "io.containerd.jrunc.v2")
                .message(2, new Wire().string(1, "0.1.0"))
                .message(3, new Wire().string(1, "containerd.runc.v1.Options").bytes(2, new Wire().string(6, "/usr/sbin/runc").build()))
                .message(4, new Wire().string(1, "types.containerd.io/opencontainers/runtime-spec/1/features/Features")
                        .bytes(2, features))
                .build();
        assertEquals(RuntimeInfo.parseFrom(expected), RuntimeInfo.parseFrom(encoded));
        assertEquals(java.util.HexFormat.of().formatHex(expected), java.util.HexFormat.of().formatHex(encoded));
    }

    @Test
    void withoutOptionsOrFeaturesThoseFieldsAreLeftOut() {
        RuntimeInfo info = RuntimeInfoReply.of("io.containerd.jrunc.v2", "0.1.0", "", null, null);
        assertFalse(info.hasOptions());
        assertFalse(info.hasFeatures());
        assertEquals("0.1.0", info.getVersion().getVersion());
    }
}
