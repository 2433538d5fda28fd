package jrunc.core.manager;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The runc a bundle's task was created with: file {@code runtime} (the binary; empty means {@code runc} from PATH)
 * and {@code options.json} ({@code root}, default {@value BundleFiles#DEFAULT_RUNC_ROOT}; {@code systemd_cgroup}),
 * as containerd-shim-runc-v2 writes and reads them (containerd v1.6.20 runtime/v2/runc/manager/manager_linux.go).
 *
 * @param binary             the content of {@code runtime}, trimmed; {@value BundleFiles#DEFAULT_RUNC_BINARY} when
 *                           empty or missing
 * @param runtimeFileMissing no {@code runtime} file at all
 */
public record RuncSettings(String binary, String root, boolean systemdCgroup, boolean runtimeFileMissing) {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    public static final RuncSettings DEFAULTS =
            new RuncSettings(BundleFiles.DEFAULT_RUNC_BINARY, BundleFiles.DEFAULT_RUNC_ROOT, false, true);

    /** @param runtime the {@code runtime} file's text, null when missing; @param options options.json, null when missing */
    static RuncSettings of(String runtime, byte[] options) throws IOException {
        String binary = runtime == null || runtime.trim().isEmpty() ? BundleFiles.DEFAULT_RUNC_BINARY : runtime.trim();
        String root = BundleFiles.DEFAULT_RUNC_ROOT;
        boolean systemd = false;
        if (options != null) {
            try (JsonParser p = JSON.createParser(options)) {
                if (p.nextToken() == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String field = p.currentName();
                        JsonToken t = p.nextToken();
                        if (field.equals("root") && t == JsonToken.VALUE_STRING && !p.getText().isEmpty()) root = p.getText();
                        else if (field.equals("systemd_cgroup") && t.isBoolean()) systemd = p.getBooleanValue();
                        else p.skipChildren();
                    }
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IOException(BundleFiles.OPTIONS + ": " + e.getOriginalMessage(), e);
            }
        }
        return new RuncSettings(binary, root, systemd, runtime == null);
    }
}
