package jrunc.core.manager;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import jrunc.proto.runc.Options;
import jrunc.proto.types.RuntimeInfo;
import jrunc.proto.types.RuntimeVersion;

/**
 * What {@code containerd-shim-jrunc-v2 -info} prints on stdout: a {@code containerd.types.RuntimeInfo}, as
 * containerd 2.x's CRI asks it of a runtime whose type is {@code io.containerd.runc.v2} (containerd v2.1.4
 * core/runtime/v2/task_manager.go, PluginInfo, and cmd/containerd-shim-runc-v2/manager/manager_linux.go, Info).
 *
 * <p>{@code options} echoes the runc options read from stdin, {@code features} carries {@code runc features}' JSON
 * under the OCI runtime-spec type URL that containerd registers for it (containerd v2.1.4 core/runtime/typeurl.go).
 */
public final class RuntimeInfoReply {
    public static final String FEATURES_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/features/Features";

    private RuntimeInfoReply() {}

    /**
     * @param options  the options the caller sent, null when it sent none
     * @param features {@code runc features}' stdout, null when runc could not say
     */
    public static RuntimeInfo of(String name, String version, String revision, Options options, byte[] features) {
        RuntimeInfo.Builder info = RuntimeInfo.newBuilder()
                .setName(name)
                .setVersion(RuntimeVersion.newBuilder().setVersion(version).setRevision(revision));
        if (options != null) info.setOptions(RuntimeOptions.pack(options));
        if (features != null && features.length > 0) {
            info.setFeatures(Any.newBuilder().setTypeUrl(FEATURES_TYPE_URL).setValue(ByteString.copyFrom(features)));
        }
        return info.build();
    }
}
