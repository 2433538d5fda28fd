package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import jrunc.e2e.cri.RuntimeHandler;
import jrunc.e2e.cri.StatusResponse;
import org.junit.jupiter.api.Test;

/**
 * {@link CriPodTests} on ours through {@code runtime_type = "io.containerd.jrunc.v2"}, its runc options in the TOML
 * file the handler's {@code ConfigPath} names; plus the other configuration, runc's type with {@code runtime_path}.
 */
class CriJruncIT extends CriPodTests {
    @Override
    Shim shim() {
        return Shim.JRUNC;
    }

    @Override
    String handler() {
        return "jrunc";
    }

    @Override
    String optionsHandler() {
        return "jrunc-opts";
    }

    @Override
    String systemdHandler() {
        return "jrunc-systemd";
    }

    @Override
    void systemdRefusal(String description) {
        assertTrue(description.contains("SystemdCgroup = true, but systemd is not running on this host"), description);
    }

    /**
     * containerd before 1.6.21 never passes {@code runtime_path} on, so on Debian bookworm's 1.6.20 this handler runs
     * Go's shim without a word; from 1.7 on it runs ours, options and all (containerd v1.6.20
     * pkg/cri/server/container_create.go and sandbox_run.go create the task without the handler's path).
     */
    @Test
    void runtimePathRunsJruncWithItsOptionsFromContainerd17AndGoSShimOn1620() throws Exception {
        Pod pod = Pod.run(node, "jrunc-path-opts", "path");
        String app = pod.container("app", "sleep", "600");
        boolean ignoresPath = node.containerd.release().name().equals("1.6");
        long daemon = pod.theDaemon(ignoresPath ? Shim.RUNC_V2 : Shim.JRUNC);
        if (!ignoresPath) {
            assertTrue(CriNode.CgroupTree.contains(daemon, node.shimCgroup), "ShimCgroup did not reach jrunc");
            assertTrue(java.nio.file.Files.isDirectory(node.runcRoot.resolve(CriNode.NAMESPACE).resolve(app)),
                    "Root did not reach jrunc");
        }
        node.cri.stopPodSandbox(pod.id);
        node.cri.removePodSandbox(pod.id);
    }

    /**
     * containerd 2.x's CRI runs {@code <shim> -info} for each handler of runc's type and lists the features it
     * reported in Status; a handler whose shim could not answer has none.
     */
    @Test
    void containerd2SeesTheFeaturesJruncReportsWithInfo() {
        if (node.containerd.release().major() < 2) {
            // 1.6 and 1.7 never run -info; their Status has no runtime handlers to check
            assertEquals(List.of(), node.cri.status().getRuntimeHandlersList().stream().map(RuntimeHandler::getName).toList());
            return;
        }
        StatusResponse status = node.cri.status();
        RuntimeHandler path = status.getRuntimeHandlersList().stream().filter(h -> h.getName().equals("jrunc-path"))
                .findFirst().orElseThrow(() -> new AssertionError("no jrunc-path handler in " + status));
        RuntimeHandler runc = status.getRuntimeHandlersList().stream().filter(h -> h.getName().equals("runc"))
                .findFirst().orElseThrow();
        assertTrue(path.hasFeatures(), "containerd got no features from jrunc -info: " + status
                + "\n" + node.containerd.logTail(30));
        assertEquals(runc.getFeatures(), path.getFeatures(), "jrunc's features differ from Go's shim's");
    }
}
