package jrunc.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Which shim a test runs its tasks with: the value given to {@code ctr run --runtime}. */
public enum Shim {

    /**
     * Go's {@code containerd-shim-runc-v2} of the release under test, the behaviour we mirror; containerd finds it
     * on its PATH, which {@link PrivateContainerd} starts with that release's {@code usr/bin}.
     */
    RUNC_V2 {
        @Override
        public String runtime() {
            return "io.containerd.runc.v2";
        }

        @Override
        public Path binary() {
            return ContainerdRelease.current().runcShim();
        }
    },

    /**
     * Ours, from the jlink image. Passed as an absolute path, which containerd 1.6 uses as it is (containerd v1.6.20
     * runtime/v2/manager.go, resolveRuntimePath)
     * and records in the bundle's {@code shim-binary-path}.
     */
    JRUNC {
        @Override
        public String runtime() {
            return binary().toString();
        }

        @Override
        public Path binary() {
            return image().resolve("bin").resolve("containerd-shim-jrunc-v2");
        }
    };

    /** The system property failsafe sets to the jlink image directory. */
    public static final String IMAGE_PROPERTY = "jrunc.image";

    public abstract String runtime();

    /** The executable containerd will run for this shim. */
    public abstract Path binary();

    /** Why this shim cannot be tested on this machine, if it cannot. */
    public Optional<String> whyUnavailable() {
        return Files.isExecutable(binary())
                ? Optional.empty()
                : Optional.of("no executable " + binary()
                        + (this == JRUNC ? " (is the jlink image built? " + IMAGE_PROPERTY + "=" + image() + ")" : ""));
    }

    /** The jlink image: {@code -Djrunc.image}, else {@code target/image} under the working directory. */
    public static Path image() {
        return Path.of(System.getProperty(IMAGE_PROPERTY, "target/image")).toAbsolutePath().normalize();
    }
}
