package jrunc.core.manager;

import java.io.IOException;
import jrunc.core.json.JsonReader;
import jrunc.core.json.JsonReader.Token;

/**
 * What jrunc needs from a bundle's {@code config.json} (the OCI spec), read in one streaming pass ({@link JsonReader}): a
 * spec can be large and the shim reads it on every {@code start}. One parse for everyone: the shim's {@code start}
 * (the group key), the Task service (cgroupsPath, the PID namespace) and shim-doctor (the same group key, so both
 * hash the same socket).
 *
 * @param groupAnnotation   {@value #GROUP_ANNOTATION}, null when absent (present and empty is not absent)
 * @param sandboxAnnotation {@value #SANDBOX_ANNOTATION}, null when absent
 * @param cgroupsPath       {@code linux.cgroupsPath}, "" when none
 * @param newPidNamespace   {@code linux.namespaces} has a {@code pid} entry without a {@code path}
 */
public record BundleSpec(String groupAnnotation, String sandboxAnnotation, String cgroupsPath, boolean newPidNamespace) {
    /** Grouping annotations, in the order the runc shim tries them (containerd v1.6.20
     * runtime/v2/runc/manager/manager_linux.go, groupLabels). */
    public static final String GROUP_ANNOTATION = "io.containerd.runc.v2.group",
            SANDBOX_ANNOTATION = "io.kubernetes.cri.sandbox-id";

    /**
     * The key the socket address is hashed over: the first grouping annotation that is present, even when its value
     * is empty (Go's {@code if groupID, ok := spec.Annotations[group]; ok}), else the task id.
     */
    public String groupKey(String id) {
        if (groupAnnotation != null) return groupAnnotation;
        if (sandboxAnnotation != null) return sandboxAnnotation;
        return id;
    }

    /**
     * The socket hash of the daemon that serves this task: its group annotation wins, as for Go's shim; without one
     * the handler's {@link ShimConfig.Grouping} decides (a pod's daemon, the namespace's, or the node's).
     */
    public String socketHash(String containerdAddress, String namespace, String id, ShimConfig.Grouping grouping) {
        if (groupAnnotation != null) return SocketAddress.hash(containerdAddress, namespace, groupAnnotation);
        return switch (grouping) {
            case POD -> SocketAddress.hash(containerdAddress, namespace, groupKey(id));
            case NAMESPACE -> SocketAddress.hash(containerdAddress, namespace, "");
            case NODE -> SocketAddress.hash(containerdAddress, "", "");
        };
    }

    /**
     * containerd's {@code ShouldKillAllOnExit} ({@code pkg/process/utils.go}, v1.6.20): when the container shares a
     * PID namespace (none of its own, or one joined by path), killing the init does not take its other processes
     * with it, so the shim must {@code runc kill --all} them.
     */
    public boolean shouldKillAllOnExit() {
        return !newPidNamespace;
    }

    /** Parses config.json; anything but a JSON object is an IOException naming the file. */
    public static BundleSpec parse(byte[] json) throws IOException {
        String group = null, sandbox = null, cgroups = "";
        boolean newPid = false;
        try (JsonReader p = JsonReader.of(json)) {
            if (p.next() != Token.START_OBJECT) throw new IOException("not a JSON object");
            while (p.next() == Token.FIELD_NAME) {
                String field = p.text();
                Token t = p.next();
                if (field.equals("annotations") && t == Token.START_OBJECT) {
                    while (p.next() == Token.FIELD_NAME) {
                        String key = p.text();
                        Token v = p.next();
                        if (v == Token.STRING && key.equals(GROUP_ANNOTATION)) group = p.text();
                        else if (v == Token.STRING && key.equals(SANDBOX_ANNOTATION)) sandbox = p.text();
                        else p.skipChildren();
                    }
                } else if (field.equals("linux") && t == Token.START_OBJECT) {
                    while (p.next() == Token.FIELD_NAME) {
                        String key = p.text();
                        Token v = p.next();
                        if (key.equals("cgroupsPath") && v == Token.STRING) cgroups = p.text();
                        else if (key.equals("namespaces") && v == Token.START_ARRAY) newPid |= namespacesHaveNewPid(p);
                        else p.skipChildren();
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new IOException(BundleFiles.CONFIG + ": " + e.getMessage(), e);
        }
        return new BundleSpec(group, sandbox, cgroups, newPid);
    }

    private static boolean namespacesHaveNewPid(JsonReader p) throws IOException {
        boolean found = false;
        Token t;
        while ((t = p.next()) != Token.END_ARRAY && t != null) {
            if (t != Token.START_OBJECT) {
                p.skipChildren();
                continue;
            }
            String type = null, path = null;
            while (p.next() == Token.FIELD_NAME) {
                String field = p.text();
                Token value = p.next();
                if (value == Token.STRING && field.equals("type")) type = p.text();
                else if (value == Token.STRING && field.equals("path")) path = p.text();
                else p.skipChildren();
            }
            if ("pid".equals(type) && (path == null || path.isEmpty())) found = true;
        }
        return found;
    }
}
