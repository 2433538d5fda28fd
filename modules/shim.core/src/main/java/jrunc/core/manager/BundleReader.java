package jrunc.core.manager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.OperatingSystem;

/**
 * The one reader of a bundle's files ({@code <state>/io.containerd.runtime.v2.task/<ns>/<id>}), used by the shim
 * ({@code start}, the Task service, the Stop path) and by shim-doctor alike. Every file goes through
 * {@link OperatingSystem#readRegularFile}: a FIFO, device, socket or link in its place, or a file bigger than its
 * {@link File#limit()}, is an {@link jrunc.core.spi.UnsafeFileException}, never a hang or an OutOfMemoryError.
 * A missing file is {@link Optional#empty()}.
 */
public final class BundleReader {
    /** The files read, with the most bytes each may hold. */
    public enum File {
        /** {@code unix://} plus a socket path: a sun_path is at most 108 bytes. */
        ADDRESS(BundleFiles.ADDRESS, 4096),
        /** containerd 2.x's record of the shim's start reply: a small JSON object with the address. */
        BOOTSTRAP(BundleFiles.BOOTSTRAP, 4096),
        /**
         * The OCI spec. containerd receives it over gRPC, whose messages it caps at 16 MiB (containerd v1.6.20
         * defaults/defaults.go, DefaultMaxRecvMsgSize): no spec it wrote is bigger.
         */
        CONFIG(BundleFiles.CONFIG, 16 << 20),
        INIT_PID(BundleFiles.INIT_PID, 64),
        OPTIONS(BundleFiles.OPTIONS, 1 << 20),
        /** The runc binary's path: at most PATH_MAX. */
        RUNTIME(BundleFiles.RUNTIME, 4096);

        private final String fileName;
        private final int limit;

        File(String fileName, int limit) {
            this.fileName = fileName;
            this.limit = limit;
        }

        public String fileName() {
            return fileName;
        }

        public int limit() {
            return limit;
        }
    }

    private final OperatingSystem os;

    public BundleReader(OperatingSystem os) {
        this.os = os;
    }

    /** The bytes of one bundle file, empty when it does not exist. */
    public Optional<byte[]> read(Path bundle, File file) throws IOException {
        return readCapped(bundle.resolve(file.fileName()), file.limit());
    }

    /** Any small node file through the same checks (runc's state.json): empty when missing. */
    public Optional<byte[]> readCapped(Path path, int limit) throws IOException {
        try {
            return Optional.of(os.readRegularFile(path, limit));
        } catch (ErrnoException e) {
            if (e.errno() == ErrnoException.ENOENT) return Optional.empty();
            throw e;
        }
    }

    /**
     * {@code address} exactly as written (containerd reads it raw, without trimming); without one, the address in
     * containerd 2.x's {@code bootstrap.json}, which is all Go's 2.x shim leaves ({@link BundleFiles#shimAddress}).
     */
    public Optional<String> address(Path bundle) throws IOException {
        Optional<String> written = read(bundle, File.ADDRESS).map(b -> new String(b, StandardCharsets.UTF_8));
        if (written.isPresent()) return written;
        return read(bundle, File.BOOTSTRAP)
                .map(b -> BundleFiles.shimAddress(null, new String(b, StandardCharsets.UTF_8)));
    }

    /** The pid in {@code init.pid}; empty when missing; an IOException when it holds no positive number. */
    public OptionalInt initPid(Path bundle) throws IOException {
        Optional<byte[]> raw = read(bundle, File.INIT_PID);
        if (raw.isEmpty()) return OptionalInt.empty();
        String text = new String(raw.get(), StandardCharsets.US_ASCII).trim();
        try {
            int pid = Integer.parseInt(text);
            if (pid > 0) return OptionalInt.of(pid);
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IOException(BundleFiles.INIT_PID + " does not hold a pid: \"" + Names.printable(text) + "\"");
    }

    /** config.json, parsed; a missing spec is a NoSuchFileException. */
    public BundleSpec spec(Path bundle) throws IOException {
        byte[] json = read(bundle, File.CONFIG)
                .orElseThrow(() -> new java.nio.file.NoSuchFileException(bundle.resolve(BundleFiles.CONFIG).toString()));
        return BundleSpec.parse(json);
    }

    /**
     * What {@code runtime} and {@code options.json} say about runc. Unlike the Go shim, a missing {@code runtime}
     * file means the default runc: a shim that died half-way through Create must still be cleanable.
     */
    public RuncSettings runcSettings(Path bundle) throws IOException {
        Optional<byte[]> runtime = read(bundle, File.RUNTIME);
        Optional<byte[]> options = read(bundle, File.OPTIONS);
        return RuncSettings.of(runtime.map(b -> new String(b, StandardCharsets.UTF_8)).orElse(null),
                options.orElse(null));
    }

    /** runc's {@code <dir>/state.json}, empty when there is none. */
    public Optional<RuncStateFile> runcState(Path dir) throws IOException {
        Optional<byte[]> json = readCapped(dir.resolve(RuncStateFile.STATE_JSON), RuncStateFile.MAX_BYTES);
        return json.isEmpty() ? Optional.empty() : Optional.of(RuncStateFile.parse(json.get()));
    }
}
