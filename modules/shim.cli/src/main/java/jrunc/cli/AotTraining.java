package jrunc.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import jrunc.core.manager.BundleFiles;
import jrunc.core.manager.ShimFlags;
import jrunc.core.manager.SocketAddress;
import jrunc.core.manager.SpareFaults;
import jrunc.core.manager.SpareHandoff;
import jrunc.core.manager.SpareKey;
import jrunc.core.manager.SpareProtocol;
import jrunc.core.spi.HandoffConnection;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.task.TaskHandlers;
import jrunc.core.task.TaskService;
import jrunc.core.ttrpc.ServiceRegistry;
import jrunc.core.ttrpc.TtrpcClient;
import jrunc.core.ttrpc.TtrpcException;
import jrunc.core.ttrpc.TtrpcServer;
import jrunc.proto.task.ConnectRequest;
import jrunc.proto.task.ConnectResponse;
import jrunc.proto.task.CreateTaskRequest;
import jrunc.proto.task.StateRequest;
import jrunc.proto.task.StateResponse;

/**
 * The AOT cache's training run (build-image.sh, {@code -XX:AOTCacheOutput}): one JVM that goes through what
 * containerd makes the binary do — {@code start} in a scratch bundle, with {@code /bin/true} standing in for the daemon
 * so nothing stays behind, then {@code delete}, then serve mode's first calls (Connect, State) over a scratch socket,
 * then both ends of the warm spare's hand-off (a listener offered and taken over scratch sockets). The cache then
 * holds the classes of these paths, loaded and linked, for every later start of the launcher.
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
        int served = serve(scratch.resolve("serve.sock"), namespace);
        int handedOver = handOver(scratch, namespace, address);
        System.out.println("aot training: start=" + started + " delete=" + deleted + " serve=" + served
                + " hand-off=" + handedOver);
    }

    /**
     * The warm spare's hand-off, start's end and the spare's, in one JVM over scratch sockets: a listener offered with
     * a request, READY, GO, ADOPTED, DONE (the adoption itself is left out: it would move this JVM). 1 when adopted.
     */
    private static int handOver(Path scratch, String namespace, String address) throws IOException {
        OperatingSystem os = OperatingSystem.load();
        Path rendezvous = scratch.resolve("spare.sock"), task = scratch.resolve("task.sock");
        int spareListener = os.listenUnix(rendezvous), taskListener = os.listenUnix(task);
        SpareKey key = new SpareKey("/bin/true", "training", address, namespace, false, new TreeMap<>());
        Thread spare = Thread.ofPlatform().start(() -> {
            try (HandoffConnection c = os.acceptHandoff(spareListener, Duration.ofSeconds(5), () -> { })) {
                if (c != null) SpareHandoff.answer(os, c, key, new AtomicBoolean(), (r, fd) -> os.close(fd),
                        SpareHandoff.Timeouts.DEFAULT, SpareFaults.NONE);
            } catch (IOException e) {
                // the offer below says so
            }
        });
        int adopted = 0;
        try (SpareHandoff.Offer offer = SpareHandoff.offer(os, rendezvous, new SpareProtocol.Request(key, "training",
                scratch, task, new byte[0], 1, false), taskListener, SpareHandoff.Timeouts.DEFAULT, SpareFaults.NONE)) {
            if (offer.outcome() instanceof SpareHandoff.Outcome.Adopted) {
                offer.done();
                adopted = 1;
            }
        } finally {
            try {
                spare.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            os.close(taskListener);
            os.close(spareListener);
            Files.deleteIfExists(rendezvous);
            Files.deleteIfExists(task);
        }
        return adopted;
    }

    /** Serve mode's first moments: the Task service on a ttrpc server, answering Connect and an unknown State. */
    private static int serve(Path socket, String namespace) throws IOException {
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(socket));
        TaskService tasks = new TaskService(OperatingSystem.load(), (ns, topic, event) -> { }, namespace, () -> { });
        ServiceRegistry registry = new ServiceRegistry();
        TaskHandlers.register(registry, tasks);
        int answered = 0;
        try (TtrpcServer server = new TtrpcServer(listener, registry, peer -> true).start();
             TtrpcClient client = new TtrpcClient(socket)) {
            Map<String, String> md = Map.of("containerd-namespace-ttrpc", namespace);
            ConnectResponse.parseFrom(client.call(TaskHandlers.SERVICE, "Connect",
                    ConnectRequest.newBuilder().setId("training").build().toByteArray(), md, Duration.ofSeconds(5)));
            answered++;
            try {
                client.call(TaskHandlers.SERVICE, "State", StateRequest.newBuilder().setId("training").build().toByteArray(),
                        md, Duration.ofSeconds(5));
            } catch (TtrpcException expected) {
                answered++; // NOT_FOUND: no such task
            }
        } catch (TtrpcException e) {
            throw new IOException(e);
        } finally {
            tasks.close();
            Files.deleteIfExists(socket);
        }
        return answered;
    }
}
