package jrunc.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The socket a task's shim serves on, as its bundle records it: the {@code address} file the shim's {@code start}
 * writes (containerd v1.6.20 runtime/v2/shim/util.go, WriteAddress; jrunc and Go's shim up to 1.7), else the
 * {@code bootstrap.json} containerd 2.x writes from the shim's reply (containerd v2.1.4 core/runtime/v2/binary.go,
 * Start), which is all Go's 2.x shim leaves.
 */
final class BundleAddress {
    private static final Pattern JSON_ADDRESS = Pattern.compile("\"address\"\\s*:\\s*\"([^\"]*)\"");

    private BundleAddress() {
    }

    /** The socket path, or empty when the bundle names none (yet, or any more). */
    static Optional<Path> socketOf(Path bundle) {
        try {
            Path address = bundle.resolve("address");
            if (Files.isRegularFile(address)) {
                return Optional.of(path(Files.readString(address, StandardCharsets.UTF_8).strip()));
            }
            Path bootstrap = bundle.resolve("bootstrap.json");
            if (Files.isRegularFile(bootstrap)) {
                Matcher m = JSON_ADDRESS.matcher(Files.readString(bootstrap, StandardCharsets.UTF_8));
                if (m.find()) {
                    return Optional.of(path(m.group(1)));
                }
            }
        } catch (IOException e) {
            // removed while we read it: containerd deletes bundles as it cleans up
        }
        return Optional.empty();
    }

    private static Path path(String address) {
        return Path.of(address.startsWith("unix://") ? address.substring("unix://".length()) : address);
    }
}
