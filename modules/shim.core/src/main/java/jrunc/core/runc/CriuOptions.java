package jrunc.core.runc;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code runc checkpoint} and {@code runc restore} are told about criu, flag for flag as go-runc v1.0.0 builds
 * them ({@code CheckpointOpts.args} in {@code runc.go}). containerd's runc shim (v1.6.20 {@code pkg/process/init.go},
 * unchanged in 2.x) fills only some: the image path, the work path, the parent image on restore, and the booleans
 * and empty namespaces of {@code containerd.runc.v1.CheckpointOptions}. It never passes a cgroups mode, a page
 * server or lazy pages, so neither do we.
 *
 * @param imagePath       {@code --image-path}: where criu writes (checkpoint) or reads (restore) the image
 * @param workPath        {@code --work-path}: criu's logs and scratch files; "" for runc's default
 * @param parentPath      {@code --parent-path}: a pre-dump to restore on top of; "" for none
 * @param openTcp         {@code --tcp-established}
 * @param externalUnixSockets {@code --ext-unix-sk}
 * @param terminal        {@code --shell-job}
 * @param fileLocks       {@code --file-locks}
 * @param emptyNamespaces {@code --empty-ns} each: namespaces made anew on restore instead of restored
 */
public record CriuOptions(String imagePath, String workPath, String parentPath, boolean openTcp,
                          boolean externalUnixSockets, boolean terminal, boolean fileLocks,
                          List<String> emptyNamespaces) {
    public CriuOptions {
        imagePath = imagePath == null ? "" : imagePath;
        workPath = workPath == null ? "" : workPath;
        parentPath = parentPath == null ? "" : parentPath;
        emptyNamespaces = List.copyOf(emptyNamespaces);
    }

    /** An image to restore from, as containerd's Create with a checkpoint describes it. */
    public static CriuOptions restoreFrom(String imagePath, String workPath, String parentPath) {
        return new CriuOptions(imagePath, workPath, parentPath, false, false, false, false, List.of());
    }

    /** go-runc's {@code CheckpointOpts.args}, in its order. */
    List<String> args() {
        List<String> out = new ArrayList<>();
        if (!imagePath.isEmpty()) out.addAll(List.of("--image-path", imagePath));
        if (!workPath.isEmpty()) out.addAll(List.of("--work-path", workPath));
        if (!parentPath.isEmpty()) out.addAll(List.of("--parent-path", parentPath));
        if (openTcp) out.add("--tcp-established");
        if (externalUnixSockets) out.add("--ext-unix-sk");
        if (terminal) out.add("--shell-job");
        if (fileLocks) out.add("--file-locks");
        for (String ns : emptyNamespaces) out.addAll(List.of("--empty-ns", ns));
        return out;
    }
}
