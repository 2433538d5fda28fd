package jrunc.core.task;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Consumer;
import jrunc.core.mount.Rootfs;
import jrunc.core.runc.PidFiles;
import jrunc.core.runc.Runc;
import jrunc.core.runc.RuncException;
import jrunc.core.runc.RuncOptions;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.stdio.ProcessIO;
import jrunc.core.stdio.Stdio;
import jrunc.proto.runc.Options;
import jrunc.proto.task.CreateTaskRequest;

/**
 * The Create RPC's work: from a request to a container whose init runc has created. Mirrors {@code NewContainer}
 * ({@code runtime/v2/runc/container.go}) and {@code Init.Create} ({@code pkg/process/init.go}) of containerd
 * v1.6.20. Every step that fails undoes the ones before it: stdio closed, the runc container deleted, the rootfs
 * unmounted, so a failed Create leaves nothing for containerd's follow-up Delete to find.
 */
final class ContainerFactory {
    private static final System.Logger LOG = System.getLogger(ContainerFactory.class.getName());

    private final OperatingSystem os;
    private final ExitRouter exits;
    private final Path tempDir;

    ContainerFactory(OperatingSystem os, ExitRouter exits, Path tempDir) {
        this.os = os;
        this.exits = exits;
        this.tempDir = tempDir;
    }

    /**
     * Creates the container and its init. Returns with the init's pid recorded and its exit matchable only after
     * {@code onCreated} ran (the caller queues TaskCreate there, so it precedes any TaskExit of the init).
     */
    Container create(String namespace, CreateTaskRequest r, Consumer<Container> onCreated) throws TaskException {
        if (r.getId().isEmpty()) throw TaskException.invalidArgument("container id must not be empty");
        if (r.getBundle().isEmpty()) throw TaskException.invalidArgument("bundle must not be empty");
        if (!r.getCheckpoint().isEmpty()) throw TaskException.unimplemented("restoring from a checkpoint is not supported by jrunc");
        Stdio stdio = new Stdio(r.getStdin(), r.getStdout(), r.getStderr(), r.getTerminal());
        Path bundle = Path.of(r.getBundle());
        RuncOptions options = RuncOptions.from(r.hasOptions() ? r.getOptions() : null);
        Options o = options.proto();

        Rootfs rootfs = null;
        try {
            options.writeTo(bundle);
            if (r.getRootfsCount() > 0) {
                Path target = bundle.resolve("rootfs");
                if (!Files.isDirectory(target)) {
                    Files.createDirectories(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
                }
                rootfs = new Rootfs(os, target);
            }
        } catch (IOException e) {
            throw TaskException.unknown("failed to prepare bundle " + bundle + ": " + e.getMessage(), e);
        }
        if (rootfs != null) rootfs.mountAll(r.getRootfsList());

        Runc runc = Runc.forContainer(os, options, namespace, bundle, tempDir);
        ProcessIO.Owner owner = new ProcessIO.Owner(o.getIoUid(), o.getIoGid(), r.getId(), namespace);
        Container container = new Container(r.getId(), bundle, namespace, runc, rootfs,
                OciSpec.shouldKillAllOnExit(bundle.resolve("config.json")), owner, stdio);
        InitProcess init = container.init();

        ProcessIO io;
        try {
            io = ProcessIO.create(os, stdio, owner, tempDir);
        } catch (TaskException e) {
            unmount(rootfs);
            throw e;
        }
        ExitRouter.StartWindow window = exits.beforeStart(init);
        boolean created = false;
        try {
            runc.create(r.getId(), bundle, o.getNoPivotRoot(), o.getNoNewKeyring(), io.runcFds(), io.consoleSocket());
            created = true;
            io.start();
            int pid = PidFiles.read(bundle.resolve("init.pid"));
            container.lock();
            try {
                init.attach(pid, io);
                onCreated.accept(container);
            } finally {
                container.unlock();
            }
            exits.started(window, pid);
            return container;
        } catch (RuncException e) {
            undo(window, io, container, false);
            throw e.runtimeError("OCI runtime create failed");
        } catch (IOException e) {
            undo(window, io, container, created);
            throw TaskException.unknown("failed to start io pipe copy: " + e.getMessage(), e);
        } catch (TaskException | RuntimeException e) {
            undo(window, io, container, created);
            throw e;
        }
    }

    private void undo(ExitRouter.StartWindow window, ProcessIO io, Container container, boolean created) {
        exits.startFailed(window, 0);
        if (created) {
            try {
                container.runc().delete(container.id(), true);
            } catch (RuncException e) {
                LOG.log(System.Logger.Level.WARNING, "failed to delete half-created container " + container.id() + ": " + e.getMessage());
            }
        }
        io.close();
        unmount(container.rootfs());
    }

    private static void unmount(Rootfs rootfs) {
        if (rootfs != null) rootfs.unmountAll();
    }
}
