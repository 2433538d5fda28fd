package jrunc.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jrunc.core.manager.BundleFiles;
import jrunc.core.manager.ShimFlags;
import jrunc.core.manager.SocketAddress;
import jrunc.proto.task.CreateTaskRequest;
import jrunc.proto.task.StateResponse;

/**
 * The AOT cache's training run (build-image.sh, {@code -XX:AOTCacheOutput}): one JVM that goes through what
 * containerd makes the binary do — {@code start} in a scratch bundle, with {@code /bin/true} standing in for the daemon
 * so nothing stays behind, then {@code delete}, then the Task API messages the daemon decodes first. The cache then
 * holds the classes of all three paths, loaded and linked, for every later start of the launcher.
 *
 * <p>Usage: {@code AotTraining <scratch dir>}; never run by containerd.
 */
public final class AotTraining {
    private AotTraining() {}

    public static void main(String[] args) throws IOException {
        Path scratch = Path.of(args[0]).toAbsolutePath();
        PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
        String namespace = "jrunc-aot-training";
        String address = scratch.resolve("containerd.sock").toString();

        Path startBundle = Files.createDirectories(scratch.resolve("start"));
        Files.writeString(startBundle.resolve(BundleFiles.CONFIG), "{\"ociVersion\":\"1.0.2\",\"annotations\":{}}");
        System.setProperty("jrunc.shim.binary", "/bin/true");
        int started = new StartCommand(ShimFlags.parse(List.of("-namespace", namespace, "-address", address, "-id",
                "training", "start")), startBundle).run(discard);
        Files.deleteIfExists(SocketAddress.path(SocketAddress.of(address, namespace, "training")));

        Path deleteBundle = Files.createDirectories(scratch.resolve("delete"));
        Files.writeString(deleteBundle.resolve(BundleFiles.OPTIONS), "{\"root\":\"" + scratch.resolve("runc") + "\"}");
        Files.writeString(deleteBundle.resolve(BundleFiles.INIT_PID), "4242");
        int deleted = new DeleteCommand(ShimFlags.parse(List.of("-namespace", namespace, "-id", "training",
                "-bundle", deleteBundle.toString(), "delete"))).run(discard);

        CreateTaskRequest.parseFrom(CreateTaskRequest.newBuilder().setId("training").setBundle("/b").build().toByteArray());
        StateResponse.newBuilder().setId("training").build().toByteArray();
        System.out.println("aot training: start=" + started + " delete=" + deleted);
    }
}
