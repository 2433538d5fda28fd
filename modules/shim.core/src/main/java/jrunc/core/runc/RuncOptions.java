package jrunc.core.runc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.Any;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import jrunc.core.manager.RuntimeOptions;
import jrunc.proto.runc.Options;

/**
 * The {@code containerd.runc.v1.Options} a task was created with, and the two bundle files that let the shim's
 * {@code delete} action find the same runc later: {@code options.json} and {@code runtime} (containerd v1.6.20
 * runtime/v2/runc/manager/manager_linux.go and runtime/v2/runc/options/oci.proto).
 */
public final class RuncOptions {
    public static final String TYPE_URL = RuntimeOptions.RUNC_OPTIONS;
    private static final System.Logger LOG = System.getLogger(RuncOptions.class.getName());

    private final Options options;

    private RuncOptions(Options options) {
        this.options = options;
    }

    /**
     * The runc options in a Create request, under any type URL containerd uses for them ({@link RuntimeOptions}). A
     * missing Any, or one with no type, means defaults; an unknown type means defaults and a warning naming it.
     *
     * @throws IllegalArgumentException options that do not decode, a config file that cannot be read, or options
     *                                  this host cannot honour (SystemdCgroup without systemd), saying which
     */
    public static RuncOptions from(Any any) {
        RuntimeOptions.Decoded decoded = RuntimeOptions.decode(any);
        decoded.warnings().forEach(w -> LOG.log(System.Logger.Level.WARNING, w));
        RuntimeOptions.requireUsable(decoded.options(), RuntimeOptions.SYSTEMD_RUN_DIR);
        return new RuncOptions(decoded.options());
    }

    public static RuncOptions of(Options options) {
        return new RuncOptions(options);
    }

    public Options proto() {
        return options;
    }

    String binaryName() {
        return options.getBinaryName();
    }

    String root() {
        return options.getRoot();
    }

    boolean systemdCgroup() {
        return options.getSystemdCgroup();
    }

    String criuPath() {
        return options.getCriuPath();
    }

    /** Where restored containers keep criu's logs ({@code criu_work_path}); "" for runc's default. */
    public String criuWorkPath() {
        return options.getCriuWorkPath();
    }

    /** Writes {@code options.json} and {@code runtime} into the bundle. */
    public void writeTo(Path bundle) throws IOException {
        write(bundle.resolve("options.json"), json());
        // an empty file means "runc from PATH"; the delete action fails without the file, so always write it
        write(bundle.resolve("runtime"), options.getBinaryName().getBytes(StandardCharsets.UTF_8));
    }

    /** A failed write names its file: a full disk says only "No space left on device". */
    private static void write(Path file, byte[] bytes) throws IOException {
        try {
            Files.write(file, bytes);
        } catch (FileSystemException e) {
            throw e; // names the file already
        } catch (IOException e) {
            throw new IOException("write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Go's {@code json.Marshal} of the Options struct: snake_case names in field order, zero values left out
     * ({@code omitempty}), so defaults give {@code {}}.
     */
    byte[] json() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JsonFactory.builder().build().createGenerator(out)) {
            g.writeStartObject();
            bool(g, "no_pivot_root", options.getNoPivotRoot());
            bool(g, "no_new_keyring", options.getNoNewKeyring());
            string(g, "shim_cgroup", options.getShimCgroup());
            number(g, "io_uid", options.getIoUid());
            number(g, "io_gid", options.getIoGid());
            string(g, "binary_name", options.getBinaryName());
            string(g, "root", options.getRoot());
            string(g, "criu_path", options.getCriuPath());
            bool(g, "systemd_cgroup", options.getSystemdCgroup());
            string(g, "criu_image_path", options.getCriuImagePath());
            string(g, "criu_work_path", options.getCriuWorkPath());
            string(g, "task_api_address", options.getTaskApiAddress());
            number(g, "task_api_version", options.getTaskApiVersion());
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private static void bool(JsonGenerator g, String name, boolean value) throws IOException {
        if (value) g.writeBooleanField(name, true);
    }

    private static void string(JsonGenerator g, String name, String value) throws IOException {
        if (!value.isEmpty()) g.writeStringField(name, value);
    }

    /** uint32 fields: Java reads them as signed ints; print them unsigned as Go does. */
    private static void number(JsonGenerator g, String name, int value) throws IOException {
        if (value != 0) g.writeNumberField(name, Integer.toUnsignedLong(value));
    }

    @Override
    public String toString() {
        try {
            return new String(json(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return options.toString();
        }
    }
}
