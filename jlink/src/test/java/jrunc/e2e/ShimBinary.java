package jrunc.e2e;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The image's {@code containerd-shim-jrunc-v2}, run the way containerd runs it. */
final class ShimBinary {
    static Path image() {
        String prop = System.getProperty("jrunc.image");
        Path image = Path.of(prop != null ? prop : "target/image").toAbsolutePath();
        if (!Files.isExecutable(image.resolve("bin/containerd-shim-jrunc-v2"))) {
            throw new IllegalStateException("no image at " + image + ": build it first (mvn package)");
        }
        return image;
    }

    static Path shim() {
        return image().resolve("bin/containerd-shim-jrunc-v2");
    }

    /** Exit status and the two streams, kept apart (containerd reads start's together; we check both are clean). */
    record Result(int exit, byte[] stdout, String stderr) {
        String out() {
            return new String(stdout, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    static Result run(Path cwd, byte[] stdin, String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>();
        argv.add(shim().toString());
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(cwd.toFile());
        pb.environment().remove("JAVA_TOOL_OPTIONS");
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            if (stdin != null) in.write(stdin);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread t1 = Thread.ofVirtual().start(() -> copy(p.getInputStream(), out));
        Thread t2 = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("shim " + String.join(" ", args) + " did not finish in 30 s");
        }
        t1.join();
        t2.join();
        return new Result(p.exitValue(), out.toByteArray(), err.toString());
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException ignored) {
            // the process ended
        }
    }
}
