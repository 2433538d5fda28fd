package jrunc.cli;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import jrunc.core.manager.RuntimeInfoReply;
import jrunc.core.manager.RuntimeOptions;
import jrunc.core.manager.StartInput;
import jrunc.proto.runc.Options;

/**
 * {@code -info}: reads the runtime options Any on stdin (or nothing), prints a {@code containerd.types.RuntimeInfo}
 * on stdout and exits, as containerd 2.x's CRI and introspection service run it (containerd v2.1.4 pkg/shim/shim.go,
 * runInfo, and cmd/containerd-shim-runc-v2/manager/manager_linux.go, Info). The runc it names ({@code BinaryName},
 * else {@code runc} from PATH) is asked for its features; a runc that cannot tell leaves them out, as Go's shim does.
 */
final class InfoCommand {
    private static final long FEATURES_TIMEOUT_SECONDS = 10;
    private static final int MAX_FEATURES_BYTES = 1 << 20;

    private InfoCommand() {}

    static int run(InputStream stdin, PrintStream stdout, PrintStream stderr) {
        Options options = null;
        try {
            byte[] input = stdin.readNBytes(StartInput.MAX_BYTES);
            if (input.length > 0) {
                RuntimeOptions.Decoded decoded = RuntimeOptions.decode(Any.parseFrom(input));
                decoded.warnings().forEach(w -> stderr.println("containerd-shim-jrunc-v2 -info: " + w));
                options = decoded.options();
            }
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
            stderr.println("containerd-shim-jrunc-v2 -info: failed to read runtime options: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            stderr.println("containerd-shim-jrunc-v2 -info: failed to read stdin: " + e.getMessage());
            return 1;
        }
        String binary = options == null || options.getBinaryName().isEmpty() ? "runc" : options.getBinaryName();
        Path runc = lookPath(binary);
        if (runc == null) {
            stderr.println("containerd-shim-jrunc-v2 -info: failed to look up the path of \"" + binary + "\"");
            return 1;
        }
        byte[] features = features(runc, stderr);
        stdout.writeBytes(RuntimeInfoReply.of(ShimMain.RUNTIME_NAME, ShimMain.VERSION, "", options, features)
                .toByteArray());
        stdout.flush();
        return 0;
    }

    /** Go's {@code exec.LookPath}: a name with a slash as it is, else the first executable on PATH. */
    static Path lookPath(String binary) {
        if (binary.contains("/")) {
            Path path = Path.of(binary);
            return Files.isExecutable(path) && !Files.isDirectory(path) ? path.toAbsolutePath() : null;
        }
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "" : path).split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, binary);
            if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) return candidate.toAbsolutePath();
        }
        return null;
    }

    /** {@code runc features}' stdout, or null (with a note on stderr) when it fails, hangs or says too much. */
    private static byte[] features(Path runc, PrintStream stderr) {
        Process process;
        try {
            process = new ProcessBuilder(runc.toString(), "features")
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            stderr.println("containerd-shim-jrunc-v2 -info: " + runc + " features: " + e.getMessage());
            return null;
        }
        try (InputStream out = process.getInputStream()) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    buffer.writeBytes(out.readNBytes(MAX_FEATURES_BYTES));
                } catch (IOException ignored) {
                    // the process was killed
                }
            });
            if (!process.waitFor(FEATURES_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                stderr.println("containerd-shim-jrunc-v2 -info: " + runc + " features did not answer within "
                        + FEATURES_TIMEOUT_SECONDS + " s");
                return null;
            }
            reader.join();
            if (process.exitValue() != 0) {
                stderr.println("containerd-shim-jrunc-v2 -info: " + runc + " features exited with " + process.exitValue()
                        + " (a runc without `features` leaves them out)");
                return null;
            }
            return buffer.toByteArray();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return null;
        }
    }
}
