package jrunc.core.task;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import jrunc.core.events.BareAny;
import jrunc.core.runc.CriuOptions;
import jrunc.core.runc.RuncException;
import jrunc.core.runc.RuncOptions;
import jrunc.proto.runc.CheckpointOptions;
import jrunc.proto.task.CheckpointTaskRequest;
import jrunc.proto.task.CreateTaskRequest;

/**
 * Checkpoint and restore with criu, through runc, with the options containerd's runc shim passes (containerd
 * v1.6.20 {@code runtime/v2/runc/container.go} {@code Checkpoint}, {@code pkg/process/init.go} {@code checkpoint}
 * and {@code createCheckpointedState}): the image path is the request's path, criu works in the options' work path
 * or in {@code <bundle>/work/criu-work} (removed afterwards), and the task keeps running unless {@code exit} is set.
 * A failed dump leaves criu's log as {@code <bundle>/criu-dump.log}, named in the error.
 */
final class Checkpoints {
    private static final System.Logger LOG = System.getLogger(Checkpoints.class.getName());

    private Checkpoints() {}

    /** A Checkpoint request: where the image goes, and the runc options (defaults when none were sent). */
    record Request(String imagePath, CheckpointOptions options) {}

    static Request of(CheckpointTaskRequest r) throws TaskException {
        CheckpointOptions options = CheckpointOptions.getDefaultInstance();
        if (r.hasOptions() && !r.getOptions().getTypeUrl().isEmpty()) {
            Any any = r.getOptions();
            try {
                options = BareAny.unpack(any, CheckpointOptions.getDefaultInstance());
            } catch (InvalidProtocolBufferException e) {
                throw TaskException.invalidArgument("checkpoint options: " + e.getMessage());
            }
        }
        return new Request(r.getPath(), options);
    }

    /** How Start restores a task created from {@code r.checkpoint}. */
    static CriuOptions restoreOf(CreateTaskRequest r, RuncOptions options) {
        return CriuOptions.restoreFrom(r.getCheckpoint(), options.criuWorkPath(), r.getParentCheckpoint());
    }

    /** {@code runc checkpoint}; the caller holds the container's lock. */
    static void dump(Container c, Request request, long deadline) throws TaskException {
        CheckpointOptions o = request.options();
        // the only directory this ever removes: one a flipped condition cannot turn into the caller's work path
        Path scratchDir = c.bundle().resolve("work").resolve("criu-work");
        boolean scratch = o.getWorkPath().isEmpty();
        Path work = scratch ? scratchDir : Path.of(o.getWorkPath());
        CriuOptions criu = new CriuOptions(request.imagePath(), work.toString(), "", o.getOpenTcp(),
                o.getExternalUnixSockets(), o.getTerminal(), o.getFileLocks(), o.getEmptyNamespacesList());
        try {
            c.runc(deadline).checkpoint(c.id(), criu, !o.getExit());
        } catch (RuncException e) {
            Path dumpLog = c.bundle().resolve("criu-dump.log");
            try {
                Files.copy(work.resolve("dump.log"), dumpLog, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException copy) {
                LOG.log(System.Logger.Level.WARNING, "failed to copy dump.log to " + dumpLog + ": " + copy.getMessage());
            }
            // containerd's criuError: the first line of runc's error, then where criu's own log is
            throw TaskException.unknown(e.getMessage().lines().findFirst().orElse("") + " path= " + dumpLog, e);
        } finally {
            if (scratch) removeTree(scratchDir);
        }
    }

    /** rm -r of criu's scratch directory, never following a link out of it. */
    private static void removeTree(Path dir) {
        if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "failed to remove criu's work directory " + dir + ": " + e.getMessage());
        }
    }
}
