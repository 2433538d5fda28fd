package jrunc.core.manager;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import jrunc.proto.bootstrap.BootstrapParams;
import jrunc.proto.bootstrap.BootstrapResult;
import jrunc.proto.bootstrap.Extension;

/**
 * What containerd writes to {@code start}'s stdin, and the reply it reads back.
 *
 * <p>containerd 1.6 to 2.2 write the runtime options as a protobuf {@code Any} (or nothing) and take the combined
 * output as the socket address, plain text. containerd 2.3 writes a {@code BootstrapParams}, the options inside its
 * {@code extensions}, and reads a {@code BootstrapResult} back first, then JSON, then plain text (containerd v2.3.0
 * pkg/shim/util.go, Command, and core/runtime/v2/shim.go, parseStartResponse). A shim answers in the protocol it
 * was spoken to in: a plain address to the old one, a {@code BootstrapResult} to the new.
 *
 * <p>Both are protobuf, and an {@code Any} (type_url=1, value=2) also decodes as a {@code BootstrapParams}
 * (instance_id=1, namespace=2). containerd's BootstrapParams always carries its version and addresses (fields 4 to
 * 6), which no Any has, so that is what tells them apart.
 *
 * @param bootstrap the parameters, when containerd spoke the bootstrap protocol
 * @param options   the runtime options Any, or null when there are none
 */
public record StartInput(Optional<BootstrapParams> bootstrap, Any options) {
    /** containerd 2.3's limit on what it reads; a shim need not read more. */
    public static final int MAX_BYTES = 10 << 20;
    /** The shim protocol version in a BootstrapResult: 3 is containerd.task.v3.Task over ttrpc, which we serve. */
    public static final int SHIM_VERSION = 3;
    public static final String PROTOCOL = "ttrpc";

    /** @throws IllegalArgumentException when the bytes are neither */
    public static StartInput parse(byte[] stdin) {
        if (stdin.length == 0) return new StartInput(Optional.empty(), null);
        try {
            BootstrapParams params = BootstrapParams.parseFrom(stdin);
            if (isBootstrap(params)) return new StartInput(Optional.of(params), runtimeOptions(params));
        } catch (InvalidProtocolBufferException notBootstrap) {
            // an Any whose value is not UTF-8 does not parse as BootstrapParams' string fields
        }
        try {
            return new StartInput(Optional.empty(), Any.parseFrom(stdin));
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("start: stdin is neither containerd's runtime options (an Any) nor its "
                    + "BootstrapParams: " + e.getMessage(), e);
        }
    }

    private static boolean isBootstrap(BootstrapParams p) {
        return !p.getContainerdVersion().isEmpty() || !p.getContainerdTtrpcAddress().isEmpty()
                || !p.getContainerdGrpcAddress().isEmpty() || !p.getContainerdBinary().isEmpty()
                || p.getExtensionsCount() > 0 || p.hasSocketDir() || p.getLogLevelValue() != 0;
    }

    /**
     * The first extension that holds runc options of a type {@link RuntimeOptions} knows, else the first extension
     * (so an unknown type is still named in the warning), else none.
     */
    private static Any runtimeOptions(BootstrapParams params) {
        Any first = null;
        for (Extension extension : params.getExtensionsList()) {
            if (!extension.hasValue()) continue;
            Any value = extension.getValue();
            switch (RuntimeOptions.typeName(value.getTypeUrl())) {
                case RuntimeOptions.RUNC_OPTIONS, RuntimeOptions.LEGACY_CREATE_OPTIONS,
                     RuntimeOptions.LEGACY_RUNC_OPTIONS, RuntimeOptions.CRI_RUNTIME_OPTIONS -> {
                    return value;
                }
                default -> {
                    if (first == null) first = value;
                }
            }
        }
        return first;
    }

    /** What {@code start} prints on success: {@code address} as text, or as a BootstrapResult when asked so. */
    public byte[] reply(String address) {
        if (bootstrap.isEmpty()) return address.getBytes(StandardCharsets.UTF_8);
        return BootstrapResult.newBuilder()
                .setVersion(SHIM_VERSION)
                .setAddress(address)
                .setProtocol(PROTOCOL)
                .build()
                .toByteArray();
    }
}
