package jrunc.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import jrunc.e2e.cri.ContainerConfig;
import jrunc.e2e.cri.ContainerMetadata;
import jrunc.e2e.cri.ContainerState;
import jrunc.e2e.cri.ContainerStatus;
import jrunc.e2e.cri.CreateContainerRequest;
import jrunc.e2e.cri.ExecSyncResponse;
import jrunc.e2e.cri.ImageSpec;
import jrunc.e2e.cri.LinuxContainerConfig;
import jrunc.e2e.cri.LinuxContainerSecurityContext;
import jrunc.e2e.cri.LinuxPodSandboxConfig;
import jrunc.e2e.cri.LinuxSandboxSecurityContext;
import jrunc.e2e.cri.NamespaceMode;
import jrunc.e2e.cri.NamespaceOption;
import jrunc.e2e.cri.PodSandboxConfig;
import jrunc.e2e.cri.PodSandboxMetadata;
import jrunc.e2e.cri.PodSandboxState;
import jrunc.e2e.cri.RunPodSandboxRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Pods through containerd's CRI plugin, driven as the kubelet drives them (CRI runtime.v1): a host-network sandbox,
 * two containers, ExecSync, exit codes, CRI log files, one shim daemon per pod, a containerd restart, and nothing left
 * once the pod is removed. Then the runtime handler's options. One subclass per shim, on every containerd release
 * of the matrix; Go's shim through the {@code runc} handler is the reference.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CriPodTests {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern CRI_LOG_LINE =
            Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?(Z|[+-]\\d\\d:\\d\\d) (stdout|stderr) [FP] .*");

    CriNode node;

    /** The shim that must serve pods of {@link #handler()}. */
    abstract Shim shim();

    /** The handler to run the pod flow with. */
    abstract String handler();

    /** The same shim with BinaryName, Root and ShimCgroup in its options. */
    abstract String optionsHandler();

    /** The same shim with SystemdCgroup = true. */
    abstract String systemdHandler();

    @BeforeAll
    void startNode() {
        BusyboxImage.archive();
        BusyboxImage.pauseArchive();
        node = CriNode.start();
    }

    @AfterAll
    void stopNode() {
        if (node != null) node.close();
    }

    @Test
    void aPodRunsTwoContainersExecsRestartsWithContainerdAndLeavesNothingOnceRemoved() throws Exception {
        Pod pod = Pod.run(node, handler(), "flow");
        // 1. RunPodSandbox
        assertEquals(PodSandboxState.SANDBOX_READY, node.cri.podSandboxStatus(pod.id).getStatus().getState());

        // 2. two containers in the pod
        String app = pod.container("app", "sh", "-c", "echo hello-out; echo hello-err >&2; exec sleep 600");
        String quitter = pod.container("quitter", "sh", "-c", "echo bye; exit 3");

        // 3. ExecSync: stdout and exit code
        ExecSyncResponse exec = node.cri.execSync(app, TIMEOUT, "sh", "-c", "echo exec-out; echo exec-err >&2; exit 4");
        assertEquals("exec-out\n", exec.getStdout().toStringUtf8());
        assertEquals("exec-err\n", exec.getStderr().toStringUtf8());
        assertEquals(4, exec.getExitCode());

        // 4. ContainerStatus: exit codes
        ContainerStatus exited = pod.awaitState(quitter, ContainerState.CONTAINER_EXITED);
        assertEquals(3, exited.getExitCode(), exited::toString);
        assertEquals(ContainerState.CONTAINER_RUNNING, node.cri.containerStatus(app).getStatus().getState());

        // 5. the CRI log files, in CRI's format
        List<String> appLog = pod.awaitLog("app", 2);
        assertTrue(appLog.stream().allMatch(l -> CRI_LOG_LINE.matcher(l).matches()), "not CRI log lines: " + appLog);
        assertTrue(appLog.stream().anyMatch(l -> l.contains(" stdout F hello-out")), appLog::toString);
        assertTrue(appLog.stream().anyMatch(l -> l.contains(" stderr F hello-err")), appLog::toString);
        assertTrue(pod.awaitLog("quitter", 1).getFirst().endsWith(" stdout F bye"));

        // 6. exactly one daemon serves the pod: the sandbox and both containers
        long daemon = pod.theDaemon(shim());
        Path socket = TaskLifecycleIT.Residue.socketOf(pod.ctr(shim()), pod.id);
        // (CRI deletes the task of a container that exited, so only the running one still has a bundle)
        assertEquals(socket, TaskLifecycleIT.Residue.socketOf(pod.ctr(shim()), app), "container app");

        // 7. containerd restarts with the pod running; the pod is still READY and served by the same daemon
        node.containerd.kill9();
        node.containerd.restart();
        assertTrue(Poll.until(TIMEOUT, () -> ready(pod)), "the pod is not READY after containerd restarted");
        assertEquals(ContainerState.CONTAINER_RUNNING, node.cri.containerStatus(app).getStatus().getState());
        assertEquals("again\n", node.cri.execSync(app, TIMEOUT, "echo", "again").getStdout().toStringUtf8());
        assertEquals(daemon, pod.theDaemon(shim()));

        // 8. StopPodSandbox, RemovePodSandbox: no bundle, shim, socket, mount or runc state is left
        node.cri.stopPodSandbox(pod.id);
        node.cri.removePodSandbox(pod.id);
        TaskLifecycleIT.Residue.awaitNothingLeft(pod.ctr(shim()), List.of(pod.id, app, quitter), List.of(socket));
        assertEquals(List.of(), LeftoverSweep.mountsUnder(node.containerd.dir()), "mounts left under containerd's dir");
    }

    @Test
    void theHandlersOptionsReachTheShimBinaryNameRootAndShimCgroup() throws Exception {
        Pod pod = Pod.run(node, optionsHandler(), "opts");
        String app = pod.container("app", "sleep", "600");
        long daemon = pod.theDaemon(shim());

        String calls = Files.readString(node.runcCalls, StandardCharsets.UTF_8);
        assertTrue(calls.lines().anyMatch(l -> l.contains(" create ") && l.endsWith(" " + app)),
                "BinaryName: the wrapper did not create " + app + "; it saw:\n" + calls);
        assertTrue(calls.contains("--root " + node.runcRoot.resolve(CriNode.NAMESPACE)), "Root: " + calls);
        assertTrue(Files.isDirectory(node.runcRoot.resolve(CriNode.NAMESPACE).resolve(app)),
                "Root: no runc state under " + node.runcRoot);
        assertTrue(CriNode.CgroupTree.contains(daemon, node.shimCgroup),
                "ShimCgroup: the daemon is not in " + node.shimCgroup + ": "
                        + Files.readString(Path.of("/proc", Long.toString(daemon), "cgroup")));

        node.cri.stopPodSandbox(pod.id);
        node.cri.removePodSandbox(pod.id);
        assertTrue(Poll.until(TIMEOUT, () -> !Files.exists(node.runcRoot.resolve(CriNode.NAMESPACE).resolve(app))),
                "runc state left under the handler's Root");
    }

    @Test
    void systemdCgroupOnANodeWithoutSystemdIsRefused() throws InterruptedException {
        StatusRuntimeException refused = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                () -> Pod.run(node, systemdHandler(), "systemd"));
        systemdRefusal(refused.getStatus().getDescription());
        // the failed sandbox leaves no shim behind
        Ctr k8s = new Ctr(node.containerd, CriNode.NAMESPACE, shim());
        assertTrue(Poll.until(TIMEOUT, () -> TaskLifecycleIT.Residue.shimDaemons(k8s).isEmpty()),
                "shim daemons left after the refused sandbox: " + TaskLifecycleIT.Residue.shimDaemons(k8s));
    }

    /** What the refusal must say; Go's runc shim leaves it to runc, ours says what to change. */
    abstract void systemdRefusal(String description);

    private boolean ready(Pod pod) {
        try {
            return node.cri.podSandboxStatus(pod.id).getStatus().getState() == PodSandboxState.SANDBOX_READY;
        } catch (StatusRuntimeException notYet) {
            return false;
        }
    }

    /** A pod of this node: its sandbox id and config, its containers, its log directory. */
    static final class Pod {
        final CriNode node;
        final String id;
        final PodSandboxConfig config;
        final Path logs;
        final List<String> containers = new ArrayList<>();

        private Pod(CriNode node, String id, PodSandboxConfig config, Path logs) {
            this.node = node;
            this.id = id;
            this.config = config;
            this.logs = logs;
        }

        /**
         * RunPodSandbox: host network (so no hostname, as the kubelet sends none then), the node's own cgroup parent,
         * a log directory of its own.
         */
        static Pod run(CriNode node, String handler, String name) throws IOException {
            byte[] random = new byte[4];
            ThreadLocalRandom.current().nextBytes(random);
            String uid = HexFormat.of().formatHex(random);
            Path logs = Files.createDirectories(node.dir.resolve("pods").resolve(name + "-" + uid));
            NamespaceOption hostNetwork = NamespaceOption.newBuilder().setNetwork(NamespaceMode.NODE).build();
            PodSandboxConfig config = PodSandboxConfig.newBuilder()
                    .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setUid(uid).setNamespace("e2e"))
                    .setLogDirectory(logs.toString())
                    .setLinux(LinuxPodSandboxConfig.newBuilder().setCgroupParent(node.cgroupParent + "/pod" + uid)
                            .setSecurityContext(LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(hostNetwork)))
                    .build();
            String id = node.cri.runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config)
                    .setRuntimeHandler(handler).build()).getPodSandboxId();
            return new Pod(node, id, config, logs);
        }

        /** CreateContainer and StartContainer; its log goes to {@code <log directory>/<name>.log}. */
        String container(String name, String... command) {
            ContainerConfig config = ContainerConfig.newBuilder()
                    .setMetadata(ContainerMetadata.newBuilder().setName(name))
                    .setImage(ImageSpec.newBuilder().setImage(BusyboxImage.REF))
                    .addAllCommand(List.of(command))
                    .setLogPath(name + ".log")
                    .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext
                            .newBuilder().setNamespaceOptions(this.config.getLinux().getSecurityContext().getNamespaceOptions())))
                    .build();
            String container = node.cri.createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(id)
                    .setConfig(config).setSandboxConfig(this.config).build());
            containers.add(container);
            node.cri.startContainer(container);
            return container;
        }

        ContainerStatus awaitState(String container, ContainerState state) throws InterruptedException {
            ContainerStatus[] last = new ContainerStatus[1];
            boolean reached = Poll.until(TIMEOUT, () -> {
                last[0] = node.cri.containerStatus(container).getStatus();
                return last[0].getState() == state;
            });
            assertTrue(reached, () -> "container " + container + " not " + state + ": " + last[0]);
            return last[0];
        }

        /** The container's CRI log, once it has at least {@code lines} lines. */
        List<String> awaitLog(String name, int lines) throws InterruptedException {
            Path file = logs.resolve(name + ".log");
            Supplier<List<String>> read = () -> {
                try {
                    return Files.exists(file) ? Files.readAllLines(file) : List.of();
                } catch (IOException e) {
                    return List.of();
                }
            };
            assertTrue(Poll.until(TIMEOUT, () -> read.get().size() >= lines), () -> file + ": " + read.get());
            return read.get();
        }

        /** {@link Ctr} of CRI's namespace, for the leftover checks the ctr tests use. */
        Ctr ctr(Shim shim) {
            return new Ctr(node.containerd, CriNode.NAMESPACE, shim);
        }

        /** The one shim daemon serving this pod, which must be {@code shim}'s and named after the sandbox. */
        long theDaemon(Shim shim) {
            List<Long> daemons = TaskLifecycleIT.Residue.shimDaemons(ctr(shim)).stream()
                    .filter(pid -> servesThisPod(argv(pid))).toList();
            assertEquals(1, daemons.size(), "shim daemons serving the pod: " + daemons);
            long daemon = daemons.getFirst();
            List<String> argv = argv(daemon);
            assertEquals(shim, shimOf(argv), "the pod's daemon is not " + shim + "'s: " + argv);
            assertEquals(id, argv.get(argv.indexOf("-id") + 1), "the daemon is not the sandbox's: " + argv);
            return daemon;
        }

        /** A daemon's {@code -id} is the task it was started for: the sandbox, or one of the pod's containers. */
        private boolean servesThisPod(List<String> argv) {
            int flag = argv.indexOf("-id");
            if (flag < 0 || flag + 1 >= argv.size()) return false;
            String daemonId = argv.get(flag + 1);
            return daemonId.equals(id) || Files.isDirectory(node.containerd.bundle(CriNode.NAMESPACE, daemonId))
                    && containers.contains(daemonId);
        }

        static Shim shimOf(List<String> argv) {
            return argv.stream().anyMatch(a -> a.contains("jrunc.cli.ShimMain")) ? Shim.JRUNC : Shim.RUNC_V2;
        }

        static List<String> argv(long pid) {
            try {
                byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
                List<String> argv = new ArrayList<>();
                for (String arg : new String(raw, StandardCharsets.UTF_8).split("\0")) {
                    argv.add(arg);
                }
                return argv;
            } catch (IOException e) {
                return List.of();
            }
        }
    }

    /** For subclasses: a refusal must at least be a failure of RunPodSandbox. */
    static void assertRefused(String description) {
        assertFalse(description == null || description.isBlank(), "RunPodSandbox failed without a message");
    }
}
