package jrunc.core.runc;

import static org.junit.jupiter.api.Assertions.*;

import com.google.protobuf.Any;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import jrunc.proto.runc.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuncOptionsTest {
    @TempDir
    Path bundle;

    @Test
    void defaultsWriteEmptyObjectAndEmptyRuntime() throws Exception {
        RuncOptions.from(null).writeTo(bundle);
        assertEquals("{}", Files.readString(bundle.resolve("options.json")));
        assertEquals("", Files.readString(bundle.resolve("runtime")));
    }

    @Test
    void everyFieldUsesItsSnakeCaseNameInFieldOrder() throws Exception {
        Options all = Options.newBuilder().setNoPivotRoot(true).setNoNewKeyring(true).setShimCgroup("/shim")
                .setIoUid(1000).setIoGid(-2).setBinaryName("runc2").setRoot("/r").setCriuPath("/criu")
                .setSystemdCgroup(true).setCriuImagePath("/img").setCriuWorkPath("/work")
                .setTaskApiAddress("unix:///a").setTaskApiVersion(3).build();
        assertEquals("{\"no_pivot_root\":true,\"no_new_keyring\":true,\"shim_cgroup\":\"/shim\",\"io_uid\":1000,"
                        + "\"io_gid\":4294967294,\"binary_name\":\"runc2\",\"root\":\"/r\",\"criu_path\":\"/criu\","
                        + "\"systemd_cgroup\":true,\"criu_image_path\":\"/img\",\"criu_work_path\":\"/work\","
                        + "\"task_api_address\":\"unix:///a\",\"task_api_version\":3}",
                new String(RuncOptions.of(all).json(), StandardCharsets.UTF_8));
    }

    @Test
    void optionsOfAnUnknownTypeMeanDefaults() throws Exception {
        Any unknown = Any.newBuilder().setTypeUrl("example.com/other.v1.Options").setValue(com.google.protobuf.ByteString.copyFromUtf8("\n\u0001x")).build();
        assertEquals("{}", new String(RuncOptions.from(unknown).json(), StandardCharsets.UTF_8));
    }

    @Test
    void prefixedTypeUrlIsAccepted() throws Exception {
        Any any = Any.pack(Options.newBuilder().setBinaryName("crun").build()); // type.googleapis.com/…
        assertEquals("crun", RuncOptions.from(any).binaryName());
    }

    @Test
    void undecodableRuncOptionsAreInvalid() {
        Any bad = Any.newBuilder().setTypeUrl(RuncOptions.TYPE_URL).setValue(com.google.protobuf.ByteString.copyFrom(new byte[] {(byte) 0xff})).build();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RuncOptions.from(bad))
                .getMessage().startsWith("invalid containerd.runc.v1.Options"));
    }
}
