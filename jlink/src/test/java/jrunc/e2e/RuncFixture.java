package jrunc.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real runc container made by hand, the way a shim's Create leaves it: a bundle with config.json, an overlay
 * {@code rootfs} (busybox in the lower dir) mounted by the test, {@code runc create} + {@code runc start}.
 */
final class RuncFixture {
    final Path dir;
    final Path bundle;
    final Path runcRoot;
    final String namespace;
    final String id;

    RuncFixture(Path dir, String namespace, String id) {
        this.dir = dir;
        this.bundle = dir.resolve("bundle");
        this.runcRoot = dir.resolve("runc");
        this.namespace = namespace;
        this.id = id;
    }

    /** Makes the bundle, mounts the overlay rootfs, runs {@code runc create} and {@code runc start} (sleeping init). */
    RuncFixture createAndStart() throws IOException, InterruptedException {
        Path lower = dir.resolve("lower");
        Files.createDirectories(lower.resolve("bin"));
        Files.copy(Path.of("/bin/busybox"), lower.resolve("bin/busybox"));
        for (String tool : List.of("sh", "sleep")) Files.createSymbolicLink(lower.resolve("bin/" + tool), Path.of("busybox"));
        for (String d : List.of("proc", "sys", "dev", "tmp", "etc")) Files.createDirectories(lower.resolve(d));
        Files.createDirectories(dir.resolve("upper"));
        Files.createDirectories(dir.resolve("work"));
        Files.createDirectories(bundle.resolve("rootfs"));
        run("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + lower + ",upperdir=" + dir.resolve("upper")
                + ",workdir=" + dir.resolve("work"), bundle.resolve("rootfs").toString());
        run("runc", "spec", "--bundle", bundle.toString());
        Path config = bundle.resolve("config.json");
        String spec = Files.readString(config)
                .replace("\"terminal\": true", "\"terminal\": false")
                .replace("\"sh\"", "\"sleep\", \"1000\"")
                .replace("\"readonly\": true", "\"readonly\": false");
        Files.writeString(config, spec);
        Files.writeString(bundle.resolve("options.json"), "{\"root\":\"" + runcRoot + "\"}");
        Files.writeString(bundle.resolve("runtime"), "runc");
        runc("create", "--bundle", bundle.toString(), "--pid-file", bundle.resolve("init.pid").toString(), id);
        runc("start", id);
        return this;
    }

    int initPid() throws IOException {
        return Integer.parseInt(Files.readString(bundle.resolve("init.pid")).trim());
    }

    Path runcState() {
        return runcRoot.resolve(namespace).resolve(id);
    }

    boolean rootfsMounted() throws IOException {
        String rootfs = bundle.resolve("rootfs").toRealPath().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length > 4 && (f[4].equals(rootfs) || f[4].startsWith(rootfs + "/"))) return true;
        }
        return false;
    }

    /** Best-effort teardown whatever the test did. */
    void cleanUp() {
        try {
            runcQuiet("delete", "--force", id);
            while (rootfsMounted()) {
                if (new ProcessBuilder("umount", bundle.resolve("rootfs").toString()).start().waitFor() != 0) break;
            }
        } catch (Exception ignored) {
            // the temp dir removal reports what is left
        }
    }

    void runc(String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("runc", "--root", runcRoot.resolve(namespace).toString()));
        argv.addAll(List.of(args));
        run(argv.toArray(String[]::new));
    }

    private void runcQuiet(String... args) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("runc", "--root", runcRoot.resolve(namespace).toString()));
        argv.addAll(List.of(args));
        new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
    }

    /**
     * Runs a command to completion. Output goes to a file, not a pipe: {@code runc create} hands its stdio to the
     * container's process, so a pipe would stay open for the container's whole life.
     */
    static void run(String... argv) throws IOException, InterruptedException {
        Path out = Files.createTempFile("jrunc-it-cmd", ".out");
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", argv) + " failed: " + Files.readString(out, StandardCharsets.UTF_8));
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
