/*
 * The start-up figures of scripts/bench.sh, for one shim binary: `start` wall time, and how long after start has
 * exited the daemon answers its first Connect (what containerd waits for before Create). Run with the JDK's
 * source launcher, so that it is one JVM for every run and its own start-up is outside every timed interval:
 *
 *   java scripts/bench-startup.java SHIM NAMESPACE CONTAINERD_ADDRESS WORK_DIR RUNS [GAP_MS [CONFIG_PATH]]
 *
 * Each run makes a bundle (config.json, and the `log` FIFO held open as containerd holds it), execs
 * `SHIM -namespace NS -address ADDR -publish-binary /bin/true -id start-N start` in it as containerd does, times it
 * until it exits, reads the socket address it printed, sends one ttrpc Connect on that socket and times the answer
 * (an error answer counts: it is the daemon speaking), then asks the daemon to Shutdown (it serves no task, so it
 * exits and removes its socket). GAP_MS: a pause before each run, so that what a shim prepares in the background
 * between starts (jrunc's warm spare) is ready, as when pods are not started back to back. CONFIG_PATH: start's stdin
 * is what CRI (or {@code ctr run --runtime-config-path}) sends, a runtimeoptions.v1.Options naming that file, as a
 * handler with a ConfigPath has it (jrunc's {@code [jrunc] spare = true} lives there). Prints "start_ms connect_ms"
 * medians on one line.
 *
 * The ttrpc request is encoded here by hand (a 10-byte frame header, then containerd's ttrpc Request message):
 * this file needs nothing but a JDK.
 */
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

public class BenchStartup {
    static final String SERVICE = "containerd.task.v2.Task";
    static int stream = 1;

    public static void main(String[] args) throws Exception {
        String shim = args[0], ns = args[1], address = args[2];
        Path work = Path.of(args[3]);
        int runs = Integer.parseInt(args[4]);
        List<Double> starts = new ArrayList<>(), connects = new ArrayList<>();
        long gapMs = args.length > 5 ? Long.parseLong(args[5]) : 0;
        byte[] stdin = new byte[0];
        if (args.length > 6) { // an Any: type_url = 1, value = 2; runtimeoptions.v1.Options: config_path = 2
            ByteArrayOutputStream any = new ByteArrayOutputStream();
            any.writeBytes(string(1, "runtimeoptions.v1.Options"));
            any.writeBytes(bytes(2, string(2, args[6])));
            stdin = any.toByteArray();
        }
        Path stdinFile = Files.write(Files.createDirectories(work).resolve("stdin"), stdin);
        for (int i = 0; i < runs; i++) {
            if (gapMs > 0) Thread.sleep(gapMs);
            Path bundle = Files.createDirectories(work.resolve("start-" + i));
            Files.writeString(bundle.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"annotations\":{}}");
            Path log = bundle.resolve("log");
            new ProcessBuilder("mkfifo", "-m", "0700", log.toString()).inheritIO().start().waitFor();
            try (RandomAccessFile holder = new RandomAccessFile(log.toFile(), "rw")) { // O_RDWR: does not block
                ProcessBuilder pb = new ProcessBuilder(shim, "-namespace", ns, "-address", address,
                        "-publish-binary", "/bin/true", "-id", "start-" + i, "start")
                        .directory(bundle.toFile()).redirectInput(ProcessBuilder.Redirect.from(stdinFile.toFile()))
                        .redirectOutput(bundle.resolve("out").toFile()).redirectError(bundle.resolve("err").toFile());
                pb.environment().put("TTRPC_ADDRESS", address + ".ttrpc");
                long t0 = System.nanoTime();
                Process start = pb.start();
                int rc = start.waitFor();
                long exited = System.nanoTime();
                String out = Files.readString(bundle.resolve("out")).trim();
                if (rc != 0 || !out.startsWith("unix://")) {
                    throw new IOException(shim + " start exited " + rc + ": " + out + " " + Files.readString(bundle.resolve("err")));
                }
                Path socket = Path.of(out.substring("unix://".length()));
                try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    ch.connect(UnixDomainSocketAddress.of(socket));
                    call(ch, ns, "Connect", string(1, "start-" + i));
                    long answered = System.nanoTime();
                    starts.add((exited - t0) / 1e6);
                    connects.add((answered - exited) / 1e6);
                    call(ch, ns, "Shutdown", string(1, "start-" + i));
                } catch (IOException shutDown) {
                    // Shutdown's answer may be the connection closing
                }
            }
        }
        System.out.printf("%.1f %.1f%n", median(starts), median(connects));
    }

    /** One ttrpc request on {@code ch}, and its answer read whole (its contents do not matter here). */
    static void call(SocketChannel ch, String ns, String method, byte[] payload) throws IOException {
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        req.writeBytes(string(1, SERVICE));
        req.writeBytes(string(2, method));
        req.writeBytes(bytes(3, payload));
        ByteArrayOutputStream kv = new ByteArrayOutputStream();
        kv.writeBytes(string(1, "containerd-namespace-ttrpc"));
        kv.writeBytes(string(2, ns));
        req.writeBytes(bytes(5, kv.toByteArray()));
        byte[] body = req.toByteArray();
        ByteBuffer frame = ByteBuffer.allocate(10 + body.length);
        frame.putInt(body.length).putInt(stream).put((byte) 1).put((byte) 0).put(body).flip();
        stream += 2;
        while (frame.hasRemaining()) ch.write(frame);
        ByteBuffer header = ByteBuffer.allocate(10);
        readFully(ch, header);
        readFully(ch, ByteBuffer.allocate(header.getInt(0)));
    }

    static void readFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) throw new IOException("the shim closed the connection");
        }
    }

    static byte[] string(int field, String s) {
        return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] bytes(int field, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        varint(out, (field << 3) | 2);
        varint(out, value.length);
        out.writeBytes(value);
        return out.toByteArray();
    }

    static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    static double median(List<Double> v) {
        if (v.isEmpty()) return Double.NaN;
        Collections.sort(v);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }
}
