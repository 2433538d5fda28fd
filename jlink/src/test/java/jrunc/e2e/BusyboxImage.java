package jrunc.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one image the end-to-end tests run: a single-layer OCI image made from Debian's static busybox, built here
 * so the tests need no registry and no network.
 *
 * <p>The layer holds {@code bin/busybox}, applet symlinks, an {@code etc/passwd} and the empty mount points runc
 * expects. The archive is an OCI image layout in a tar ({@code oci-layout}, {@code index.json}, {@code blobs/}),
 * which {@code ctr images import} reads; the index names the manifest "latest", and {@code --base-name} supplies
 * the repository, so the image is known as {@link #REF}.
 */
public final class BusyboxImage {

    public static final String NAME = "jrunc.test/busybox";
    public static final String REF = NAME + ":latest";
    /**
     * A pod's sandbox ("pause") image for the CRI tests: the same layer, with {@code sleep} as its entrypoint. CRI
     * stops a sandbox with SIGKILL, so it needs no signal handling.
     */
    public static final String PAUSE_NAME = "jrunc.test/pause";
    public static final String PAUSE_REF = PAUSE_NAME + ":latest";
    private static final String PAUSE_CONFIG = "\"Entrypoint\":[\"/bin/sleep\",\"2147483647\"]";
    private static final String SHELL_CONFIG = "\"Cmd\":[\"sh\"]";

    static final Path BUSYBOX = Path.of("/bin/busybox");
    static final List<String> APPLETS = List.of(
            "sh", "echo", "true", "false", "sleep", "cat", "ps", "ls", "id", "env", "kill", "top");

    private static Path archive; // built once per test JVM
    private static Path pauseArchive;

    private BusyboxImage() {
    }

    /** The archive, built on first use into a temp directory of this test run and removed when the JVM exits. */
    public static synchronized Path archive() {
        if (archive == null) {
            archive = build("busybox", SHELL_CONFIG);
        }
        return archive;
    }

    /** The pause image's archive, built on first use like {@link #archive()}. */
    public static synchronized Path pauseArchive() {
        if (pauseArchive == null) {
            pauseArchive = build("pause", PAUSE_CONFIG);
        }
        return pauseArchive;
    }

    private static Path build(String name, String process) {
        try {
            Path dir = Files.createTempDirectory("jrunc-e2e-" + name + "-");
            dir.toFile().deleteOnExit();
            Path built = write(dir.resolve(name + "-oci.tar"), process);
            built.toFile().deleteOnExit();
            return built;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the " + name + " image", e);
        }
    }

    /** Imports the image into one namespace of a containerd (images are per namespace). */
    public static void importInto(PrivateContainerd containerd, String namespace) {
        containerd.ctr("-n", namespace, "images", "import", "--base-name", NAME, archive().toString())
                .requireSuccess();
    }

    static Path write(Path target) throws IOException {
        return write(target, SHELL_CONFIG);
    }

    /** @param process the config's process fields, e.g. {@code "Cmd":["sh"]} */
    static Path write(Path target, String process) throws IOException {
        byte[] layer = layer();
        String layerDigest = sha256(layer);
        byte[] config = """
                {"architecture":"amd64","os":"linux",\
                "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],%s},\
                "rootfs":{"type":"layers","diff_ids":["%s"]}}""".formatted(process, layerDigest)
                .getBytes(StandardCharsets.UTF_8);
        // The layer is stored uncompressed, so its digest is also its diff_id.
        byte[] manifest = """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
                "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},\
                "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}"""
                .formatted(sha256(config), config.length, layerDigest, layer.length)
                .getBytes(StandardCharsets.UTF_8);
        byte[] index = """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",\
                "manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%d,\
                "annotations":{"org.opencontainers.image.ref.name":"latest"}}]}"""
                .formatted(sha256(manifest), manifest.length)
                .getBytes(StandardCharsets.UTF_8);

        Map<String, byte[]> blobs = new LinkedHashMap<>();
        for (byte[] blob : List.of(layer, config, manifest)) {
            blobs.put("blobs/sha256/" + sha256(blob).substring("sha256:".length()), blob);
        }
        TarWriter tar = new TarWriter()
                .file("oci-layout", 0644, "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8))
                .file("index.json", 0644, index)
                .directory("blobs", 0755)
                .directory("blobs/sha256", 0755);
        blobs.forEach((name, blob) -> tar.file(name, 0644, blob));
        Files.write(target, tar.finish());
        return target;
    }

    private static byte[] layer() throws IOException {
        TarWriter tar = new TarWriter()
                .directory("bin", 0755)
                .file("bin/busybox", 0755, Files.readAllBytes(BUSYBOX));
        for (String applet : APPLETS) {
            tar.symlink("bin/" + applet, "busybox");
        }
        return tar
                .directory("dev", 0755)
                .directory("etc", 0755)
                .file("etc/passwd", 0644, """
                        root:x:0:0:root:/root:/bin/sh
                        nobody:x:65534:65534:nobody:/nonexistent:/bin/false
                        """.getBytes(StandardCharsets.UTF_8))
                .file("etc/group", 0644, """
                        root:x:0:
                        nogroup:x:65534:
                        """.getBytes(StandardCharsets.UTF_8))
                .directory("proc", 0555)
                .directory("root", 0700)
                .directory("sys", 0555)
                .directory("tmp", 01777)
                .finish();
    }

    static String sha256(byte[] bytes) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
