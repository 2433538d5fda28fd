package jrunc.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import jrunc.e2e.CriConfig.Handler;

/**
 * A Kubernetes node as far as containerd's CRI plugin sees one: a private containerd of the release under test with
 * CRI enabled, the pause and busybox images imported into {@code k8s.io}, and one runtime handler per way of
 * reaching a shim:
 * <ul>
 *   <li>{@code runc}: Go's shim, the reference ({@code runtime_type = "io.containerd.runc.v2"});</li>
 *   <li>{@code jrunc}: {@code runtime_type = "io.containerd.jrunc.v2"}, the binary on containerd's PATH;</li>
 *   <li>{@code jrunc-path}: runc's type with {@code runtime_path} naming our binary;</li>
 *   <li>{@code *-opts}: each of those with runc options ({@code BinaryName}, {@code Root}, {@code ShimCgroup}); for
 *       {@code jrunc-opts} in the TOML file its {@code ConfigPath} names, the only way a custom type gets them;</li>
 *   <li>{@code *-systemd}: {@code SystemdCgroup = true}, which no node without systemd can honour.</li>
 * </ul>
 * Pods get a cgroup parent of their own, so everything they make in the cgroup tree is found and removed by name.
 */
final class CriNode implements AutoCloseable {
    static final String NAMESPACE = "k8s.io";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    final PrivateContainerd containerd;
    final Path dir;
    final String cgroupParent;
    final String shimCgroup;
    final Path runcRoot;
    final Path runcCalls;
    final Path runcWrapper;
    final CriClient cri;

    private CriNode(PrivateContainerd containerd, Path dir, String cgroupParent, Path runcWrapper, Path runcRoot,
                    Path runcCalls) {
        this.containerd = containerd;
        this.dir = dir;
        this.cgroupParent = cgroupParent;
        this.shimCgroup = cgroupParent + "/shims";
        this.runcWrapper = runcWrapper;
        this.runcRoot = runcRoot;
        this.runcCalls = runcCalls;
        this.cri = new CriClient(Path.of(containerd.address()));
    }

    static CriNode start() {
        ContainerdRelease release = ContainerdRelease.current();
        Path dir = null;
        try {
            dir = Files.createTempDirectory(Path.of("/tmp"), "jrunc-cri-");
            byte[] random = new byte[4];
            ThreadLocalRandom.current().nextBytes(random);
            String cgroupParent = "/jrunc-e2e-cri-" + HexFormat.of().formatHex(random);
            Path runcCalls = dir.resolve("runc-calls.log");
            Path wrapper = dir.resolve("runc-wrapper");
            // BinaryName: a runc that notes each call, so a test can see which runc the shim ran
            Files.writeString(wrapper, "#!/bin/sh\necho \"$*\" >>'" + runcCalls + "'\nexec runc \"$@\"\n");
            Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path runcRoot = Files.createDirectories(dir.resolve("runc-root"));
            Path runcOptions = dir.resolve("jrunc-runc-options.toml");
            Files.writeString(runcOptions, "# runc options for the jrunc-opts handler\nBinaryName = "
                    + ContainerdConfig.quote(wrapper) + "\nRoot = " + ContainerdConfig.quote(runcRoot)
                    + "\nShimCgroup = " + ContainerdConfig.quote(cgroupParent + "/shims") + "\n");
            Path systemdOptions = Files.writeString(dir.resolve("jrunc-systemd.toml"), "SystemdCgroup = true\n");
            CgroupTree.create(cgroupParent + "/shims"); // Go's shim joins ShimCgroup only if it exists

            Path jrunc = Shim.JRUNC.binary();
            String runc = "io.containerd.runc.v2", ours = "io.containerd.jrunc.v2";
            List<Handler> handlers = List.of(
                    Handler.of("runc", runc),
                    Handler.of("jrunc", ours),
                    Handler.of("jrunc-path", runc).withPath(jrunc),
                    runcOptions(Handler.of("runc-opts", runc), wrapper, runcRoot, cgroupParent),
                    runcOptions(Handler.of("jrunc-path-opts", runc).withPath(jrunc), wrapper, runcRoot, cgroupParent),
                    Handler.of("jrunc-opts", ours).withOption("TypeUrl", "containerd.runc.v1.Options")
                            .withOption("ConfigPath", runcOptions),
                    Handler.of("runc-systemd", runc).withOption("SystemdCgroup", true),
                    Handler.of("jrunc-systemd", ours).withOption("TypeUrl", "containerd.runc.v1.Options")
                            .withOption("ConfigPath", systemdOptions));
            PrivateContainerd containerd = PrivateContainerd.start(release,
                    CriConfig.toml(release, dir, BusyboxImage.PAUSE_REF, handlers));
            CriNode node = new CriNode(containerd, dir, cgroupParent, wrapper, runcRoot, runcCalls);
            node.awaitReady();
            return node;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare a CRI node", e);
        } catch (RuntimeException e) {
            if (dir != null) removeTree(dir);
            throw e;
        }
    }

    private static Handler runcOptions(Handler handler, Path binary, Path root, String cgroupParent) {
        return handler.withOption("BinaryName", binary).withOption("Root", root)
                .withOption("ShimCgroup", cgroupParent + "/shims");
    }

    /** CRI answers, and sees both images once ctr has imported them into its namespace. */
    private void awaitReady() {
        boolean answers = poll(() -> {
            try {
                cri.version();
                return true;
            } catch (RuntimeException notYet) {
                return false;
            }
        });
        if (!answers) {
            throw new IllegalStateException("CRI did not answer within " + READY_TIMEOUT + "; containerd's log:\n"
                    + containerd.logTail(40));
        }
        containerd.ctr("-n", NAMESPACE, "images", "import", "--base-name", BusyboxImage.PAUSE_NAME,
                BusyboxImage.pauseArchive().toString()).requireSuccess();
        containerd.ctr("-n", NAMESPACE, "images", "import", "--base-name", BusyboxImage.NAME,
                BusyboxImage.archive().toString()).requireSuccess();
        for (String image : List.of(BusyboxImage.PAUSE_REF, BusyboxImage.REF)) {
            if (!poll(() -> cri.imageStatus(image).hasImage())) {
                throw new IllegalStateException("CRI does not see " + image + " after ctr imported it");
            }
        }
    }

    private static boolean poll(java.util.function.BooleanSupplier condition) {
        return poll(READY_TIMEOUT, condition);
    }

    private static boolean poll(Duration timeout, java.util.function.BooleanSupplier condition) {
        try {
            return Poll.until(timeout, condition);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        cri.close();
        String logs = System.getProperty(PrivateContainerdExtension.LOGS_PROPERTY);
        containerd.close(logs == null ? null : Path.of(logs, "CriNode-" + ProcessHandle.current().pid() + "-"
                + dir.getFileName() + "-containerd.log"));
        CgroupTree.remove(cgroupParent);
        removeTree(dir);
    }

    /** Our own temp dir: nothing is ever mounted there, and that is checked before anything is deleted. */
    private static void removeTree(Path dir) {
        List<Path> mounts = LeftoverSweep.mountsUnder(dir);
        if (!mounts.isEmpty()) {
            System.err.println("[e2e] leaving " + dir + " in place: still mounted " + mounts);
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            System.err.println("[e2e] cannot remove " + dir + ": " + e);
        }
    }

    /** A cgroup of our own in every hierarchy of this host (v1 controllers, the named ones, the unified tree). */
    static final class CgroupTree {
        private static final Path ROOT = Path.of("/sys/fs/cgroup");

        private CgroupTree() {
        }

        static List<Path> hierarchies() {
            List<Path> hierarchies = new ArrayList<>();
            if (Files.exists(ROOT.resolve("cgroup.procs"))) {
                hierarchies.add(ROOT); // unified only
                return hierarchies;
            }
            try (Stream<Path> list = Files.list(ROOT)) {
                list.filter(p -> Files.isDirectory(p) && !Files.isSymbolicLink(p) && Files.exists(p.resolve("cgroup.procs")))
                        .forEach(hierarchies::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return hierarchies;
        }

        /** mkdir -p in each hierarchy; a new v1 cpuset level inherits its parent's cpus and mems, as runc does. */
        static void create(String path) throws IOException {
            for (Path hierarchy : hierarchies()) {
                Path dir = hierarchy;
                for (Path name : Path.of("/").relativize(Path.of(path))) {
                    Path parent = dir;
                    dir = dir.resolve(name);
                    if (Files.isDirectory(dir)) {
                        continue;
                    }
                    Files.createDirectory(dir);
                    for (String file : List.of("cpuset.cpus", "cpuset.mems")) {
                        if (Files.exists(dir.resolve(file))) {
                            Files.writeString(dir.resolve(file), Files.readString(parent.resolve(file)).strip());
                        }
                    }
                }
            }
        }

        /**
         * rmdir of the subtree, deepest first, in every hierarchy. A cgroup whose last process is still exiting
         * refuses (EBUSY) for a moment, so each one is retried until it goes (10 s at most); one that still holds
         * a process stays, and is named.
         */
        static void remove(String path) {
            for (Path hierarchy : hierarchies()) {
                Path top = hierarchy.resolve(Path.of("/").relativize(Path.of(path)));
                if (!Files.isDirectory(top)) {
                    continue;
                }
                List<Path> dirs;
                try (Stream<Path> walk = Files.walk(top)) {
                    dirs = walk.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList();
                } catch (IOException e) {
                    System.err.println("[e2e] cannot walk cgroup " + top + ": " + e);
                    continue;
                }
                for (Path dir : dirs) {
                    boolean gone = poll(Duration.ofSeconds(10), () -> {
                        try {
                            Files.deleteIfExists(dir);
                            return true;
                        } catch (IOException busy) {
                            return false;
                        }
                    });
                    if (!gone) {
                        System.err.println("[e2e] cannot remove cgroup " + dir + " (still busy after 10 s)");
                    }
                }
            }
        }

        /** Whether a process is in {@code path} of some hierarchy, from {@code /proc/<pid>/cgroup}. */
        static boolean contains(long pid, String path) {
            try {
                return Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup")).stream()
                        .anyMatch(line -> line.endsWith(":" + path));
            } catch (IOException e) {
                return false;
            }
        }
    }
}
