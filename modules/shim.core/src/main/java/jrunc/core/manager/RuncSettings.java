package jrunc.core.manager;

import java.io.IOException;
import jrunc.core.json.JsonReader;
import jrunc.core.json.JsonReader.Token;

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
    public static final RuncSettings DEFAULTS =
            new RuncSettings(BundleFiles.DEFAULT_RUNC_BINARY, BundleFiles.DEFAULT_RUNC_ROOT, false, true);

    /** @param runtime the {@code runtime} file's text, null when missing; @param options options.json, null when missing */
    static RuncSettings of(String runtime, byte[] options) throws IOException {
        String binary = runtime == null || runtime.trim().isEmpty() ? BundleFiles.DEFAULT_RUNC_BINARY : runtime.trim();
        String root = BundleFiles.DEFAULT_RUNC_ROOT;
        boolean systemd = false;
        if (options != null) {
            try (JsonReader p = JsonReader.of(options)) {
                if (p.next() == Token.START_OBJECT) {
                    while (p.next() == Token.FIELD_NAME) {
                        String field = p.text();
                        Token t = p.next();
                        if (field.equals("root") && t == Token.STRING && !p.text().isEmpty()) root = p.text();
                        else if (field.equals("systemd_cgroup") && p.isBoolean()) systemd = t == Token.TRUE;
                        else p.skipChildren();
                    }
                }
            } catch (IOException e) {
                throw new IOException(BundleFiles.OPTIONS + ": " + e.getMessage(), e);
            }
        }
        return new RuncSettings(binary, root, systemd, runtime == null);
    }
}
