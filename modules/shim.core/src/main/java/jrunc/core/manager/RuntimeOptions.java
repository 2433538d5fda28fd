package jrunc.core.manager;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jrunc.proto.runc.Options;
import jrunc.proto.runc.legacy.CreateOptions;
import jrunc.proto.runc.legacy.RuncOptions;

/**
 * The runc options a shim is given, whichever of containerd's type URLs they arrive under, as the one
 * {@code containerd.runc.v1.Options} the rest of the shim reads:
 * <ul>
 *   <li>{@code containerd.runc.v1.Options}: what containerd sends a runtime named {@code io.containerd.runc.*}
 *       (containerd v1.6.20 runtime/v2/runc/options/oci.proto);</li>
 *   <li>{@code containerd.linux.runc.CreateOptions}: what containerd's client sends any other runtime, such as
 *       {@code ctr run --runtime /path/to/containerd-shim-jrunc-v2} (containerd v1.6.20 task_opts_unix.go), and
 *       {@code containerd.linux.runc.RuncOptions}, CRI's for the v1 linux runtime type (pkg/cri/server/helpers.go);</li>
 *   <li>{@code runtimeoptions.v1.Options}: what CRI sends a runtime whose {@code runtime_type} is not runc's, such
 *       as {@code io.containerd.jrunc.v2} (pkg/runtimeoptions/v1/api.proto): the options are read from the TOML file
 *       its {@code config_path} names (see {@link RuncOptionsFile}).</li>
 * </ul>
 * Any other type is not an error: the shim runs with the defaults, and the warning names the type.
 */
public final class RuntimeOptions {
    public static final String RUNC_OPTIONS = "containerd.runc.v1.Options";
    public static final String LEGACY_CREATE_OPTIONS = "containerd.linux.runc.CreateOptions";
    public static final String LEGACY_RUNC_OPTIONS = "containerd.linux.runc.RuncOptions";
    public static final String CRI_RUNTIME_OPTIONS = "runtimeoptions.v1.Options";

    /** The options, and what the caller should log about how they were read. */
    public record Decoded(Options options, List<String> warnings) {
        public Decoded {
            warnings = List.copyOf(warnings);
        }

        static Decoded defaults() {
            return new Decoded(Options.getDefaultInstance(), List.of());
        }
    }

    private RuntimeOptions() {}

    /**
     * Decodes an options Any. A missing Any, or one without a type, means defaults, silently (containerd sends none
     * when nothing was configured).
     *
     * @throws IllegalArgumentException when a known type does not decode, or its config file cannot be read: the
     *                                  operator asked for options that the shim cannot honour
     */
    public static Decoded decode(Any any) {
        if (any == null || any.getTypeUrl().isEmpty()) return Decoded.defaults();
        String type = typeName(any.getTypeUrl());
        try {
            return switch (type) {
                case RUNC_OPTIONS -> new Decoded(Options.parseFrom(any.getValue()), List.of());
                case LEGACY_CREATE_OPTIONS -> new Decoded(fromLegacy(CreateOptions.parseFrom(any.getValue())), List.of());
                case LEGACY_RUNC_OPTIONS -> new Decoded(fromLegacy(RuncOptions.parseFrom(any.getValue())), List.of());
                case CRI_RUNTIME_OPTIONS -> fromConfigFile(jrunc.proto.runtimeoptions.Options.parseFrom(any.getValue()));
                default -> new Decoded(Options.getDefaultInstance(), List.of("runtime options of unknown type "
                        + any.getTypeUrl() + " ignored (known: " + RUNC_OPTIONS + ", " + LEGACY_CREATE_OPTIONS + ", "
                        + LEGACY_RUNC_OPTIONS + ", " + CRI_RUNTIME_OPTIONS + "); running with runc's defaults"));
            };
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("invalid " + type + ": " + e.getMessage(), e);
        }
    }

    /** Where systemd, when it is the init system, says so (sd_booted(3)). */
    public static final Path SYSTEMD_RUN_DIR = Path.of("/run/systemd/system");

    /**
     * Refuses options this host cannot honour before runc is run with them. {@code SystemdCgroup} asks runc to
     * create the container's cgroup through systemd over D-Bus; without systemd runc fails obscurely, or hangs
     * waiting for a bus that is not there.
     *
     * @param systemdRunDir {@link #SYSTEMD_RUN_DIR}, or another directory in tests
     * @throws IllegalArgumentException saying what to change
     */
    public static void requireUsable(Options options, Path systemdRunDir) {
        if (options.getSystemdCgroup() && !java.nio.file.Files.isDirectory(systemdRunDir)) {
            throw new IllegalArgumentException("SystemdCgroup = true, but systemd is not running on this host (no "
                    + systemdRunDir + "), so runc cannot create the container's cgroup through it: set SystemdCgroup = "
                    + "false in the runtime's options (cgroupfs), or run containerd under systemd");
        }
    }

    /** The message name of a type URL: {@code type.googleapis.com/a.b.C} and {@code a.b.C} both name {@code a.b.C}. */
    public static String typeName(String typeUrl) {
        return typeUrl.substring(typeUrl.lastIndexOf('/') + 1);
    }

    /** The runc options packed as containerd packs them: the bare message name as the type URL. */
    public static Any pack(Options options) {
        return Any.newBuilder().setTypeUrl(RUNC_OPTIONS).setValue(options.toByteString()).build();
    }

    static Options fromLegacy(CreateOptions legacy) {
        return Options.newBuilder()
                .setNoPivotRoot(legacy.getNoPivotRoot())
                .setNoNewKeyring(legacy.getNoNewKeyring())
                .setShimCgroup(legacy.getShimCgroup())
                .setIoUid(legacy.getIoUid())
                .setIoGid(legacy.getIoGid())
                .setCriuWorkPath(legacy.getCriuWorkPath())
                .setCriuImagePath(legacy.getCriuImagePath())
                .build();
    }

    static Options fromLegacy(RuncOptions legacy) {
        return Options.newBuilder()
                .setBinaryName(legacy.getRuntime())
                .setRoot(legacy.getRuntimeRoot())
                .setCriuPath(legacy.getCriuPath())
                .setSystemdCgroup(legacy.getSystemdCgroup())
                .build();
    }

    private static Decoded fromConfigFile(jrunc.proto.runtimeoptions.Options cri) {
        List<String> warnings = new ArrayList<>();
        String declared = cri.getTypeUrl();
        if (!declared.isEmpty() && !typeName(declared).equals(RUNC_OPTIONS)) {
            warnings.add(CRI_RUNTIME_OPTIONS + " declares its config file as " + declared + "; reading it as "
                    + RUNC_OPTIONS);
        }
        if (cri.getConfigPath().isEmpty()) {
            if (declared.isEmpty()) return Decoded.defaults(); // CRI's empty options: nothing was configured
            warnings.add(CRI_RUNTIME_OPTIONS + " without a config_path (set ConfigPath in the runtime's options); "
                    + "running with runc's defaults");
            return new Decoded(Options.getDefaultInstance(), warnings);
        }
        RuncOptionsFile.Read read = RuncOptionsFile.read(Path.of(cri.getConfigPath()));
        warnings.addAll(read.warnings());
        return new Decoded(read.options(), warnings);
    }
}
