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
import jrunc.core.stdio.ProcessIO;
import jrunc.core.stdio.Stdio;
import jrunc.proto.runc.Options;
import jrunc.proto.task.CreateTaskRequest;

/**
 * The Create RPC's work: from a request to a container whose init runc has created (or, with a checkpoint, that
 * Start will restore). Mirrors {@code NewContainer} ({@code runtime/v2/runc/container.go}) and {@code Init.Create}
 * ({@code pkg/process/init.go}) of containerd v1.6.20.
 *
 * <p>The client's stdio is opened before runc runs, and nothing after {@code runc create} waits for the client:
 * once runc has made the container, the Create completes whether or not its caller is still there, so containerd
 * finds the task after a restart. Every step that fails undoes the ones before it: stdio closed, the runc container
 * deleted, the rootfs unmounted, so a failed Create leaves nothing for containerd's follow-up Delete to find.
 */
final class ContainerFactory {
    private static final System.Logger LOG = System.getLogger(ContainerFactory.class.getName());

    private final TaskHost host;

    ContainerFactory(TaskHost host) {
        this.host = host;
    }

    /**
     * Creates the container and its init. Returns with the init's pid recorded and its exit matchable only after
     * {@code onCreated} ran (the caller queues TaskCreate there, so it precedes any TaskExit of the init).
     */
    Container create(String namespace, CreateTaskRequest r, long deadline, Consumer<Container> onCreated)
            throws TaskException {
        if (r.getId().isEmpty()) throw TaskException.invalidArgument("container id must not be empty");
        if (r.getBundle().isEmpty()) throw TaskException.invalidArgument("bundle must not be empty");
        String unsupported = Rootfs.unsupported(r.getRootfsList());
        if (unsupported != null) throw TaskException.unimplemented(unsupported);
        Stdio stdio = new Stdio(r.getStdin(), r.getStdout(), r.getStderr(), r.getTerminal());
        Path bundle = Path.of(r.getBundle());
        RuncOptions options;
        try {
            options = RuncOptions.from(r.hasOptions() ? r.getOptions() : null);
        } catch (IllegalArgumentException e) {
            throw TaskException.invalidArgument(e.getMessage());
        }
        Options o = options.proto();
        Rootfs rootfs = prepareBundle(bundle, options, r.getRootfsCount() > 0);
        if (rootfs != null) {
            try {
                rootfs.mountAll(r.getRootfsList());
            } catch (IOException e) {
                throw TaskException.unknown(e.getMessage(), e);
            }
        }
        Runc runc = Runc.forContainer(host.os(), options, namespace, bundle, host.tempDir());
        ProcessIO.Owner owner = new ProcessIO.Owner(o.getIoUid(), o.getIoGid(), r.getId(), namespace);
        boolean restore = !r.getCheckpoint().isEmpty();
        ProcessState initial = restore ? new ProcessState.CreatedFromCheckpoint(Checkpoints.restoreOf(r, options))
                : new ProcessState.Created();
        Container container = new Container(host, r.getId(), bundle, namespace, runc, rootfs,
                OciSpec.shouldKillAllOnExit(host.os(), bundle), owner,
                new InitProcess.Spec(stdio, initial, o.getNoPivotRoot()));
        InitProcess init = container.init();

        ProcessIO io;
        try {
            io = ProcessIO.create(host.os(), stdio, owner, host.tempDir());
        } catch (IOException e) {
            unmount(rootfs);
            throw TaskException.unknown("failed to create init process I/O: " + e.getMessage(), e);
        }
        if (restore) return recorded(container, io, onCreated);

        ExitRouter.StartWindow window = host.exits().beforeStart(init);
        try {
            runc.within(deadline).create(r.getId(), bundle, o.getNoPivotRoot(), o.getNoNewKeyring(), io.runcFds(),
                    io.consoleSocket());
            io.start();
            int pid = PidFiles.read(bundle.resolve("init.pid"));
            container.lock();
            try {
                init.attach(pid, io);
                onCreated.accept(container);
            } finally {
                container.unlock();
            }
            host.exits().started(window, pid);
            return container;
        } catch (RuncException e) {
            // a runc that failed or was killed half-way may have left its state: delete --force finds out
            undo(window, io, container);
            throw TaskException.runtimeError("OCI runtime create failed", e);
        } catch (IOException e) {
            undo(window, io, container);
            throw TaskException.unknown("failed to start the init's io or read its pid: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            undo(window, io, container);
            throw e;
        }
    }

    /** {@code options.json}, {@code runtime} and the {@code rootfs} directory; null when containerd mounted it. */
    private Rootfs prepareBundle(Path bundle, RuncOptions options, boolean mounts) throws TaskException {
        try {
            options.writeTo(bundle);
            if (!mounts) return null;
            Path target = bundle.resolve("rootfs");
            if (!Files.isDirectory(target)) {
                Files.createDirectories(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
            }
            return new Rootfs(host.os(), target);
        } catch (IOException e) {
            throw TaskException.unknown("failed to prepare bundle " + bundle + ": " + e.getMessage(), e);
        }
    }

    /** A restored task is only recorded now: runc restores it at Start, as containerd's shim does. */
    private static Container recorded(Container container, ProcessIO io, Consumer<Container> onCreated) {
        container.lock();
        try {
            container.init().attach(0, io);
            onCreated.accept(container);
        } finally {
            container.unlock();
        }
        return container;
    }

    private void undo(ExitRouter.StartWindow window, ProcessIO io, Container container) {
        host.exits().startFailed(window, 0);
        try {
            container.runc().delete(container.id(), true);
        } catch (RuncException e) {
            LOG.log(System.Logger.Level.WARNING, "failed to delete half-created container " + container.id() + ": " + e.getMessage());
        }
        io.close();
        unmount(container.rootfs());
    }

    private static void unmount(Rootfs rootfs) {
        if (rootfs != null) rootfs.unmountAll();
    }
}
