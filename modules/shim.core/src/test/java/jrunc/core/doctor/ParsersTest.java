package jrunc.core.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import jrunc.core.manager.MountInfo;
import jrunc.core.manager.SocketAddress;
import org.junit.jupiter.api.Test;

class ParsersTest {

    private static String resource(String name) throws IOException {
        try (InputStream in = ParsersTest.class.getResourceAsStream("/doctor/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void socketHashMatchesTheContractsWorkedExample() {
        assertEquals("12117510a54ae87cb9f59e68c4b6897783ff70cec968b5b5967a0a0cd503057e",
                SocketAddress.hash("/run/containerd/containerd.sock", "default", "demo"));
    }

    @Test
    void socketHashCleansThePathAsGoFilepathJoinDoes() {
        assertEquals(SocketAddress.hash("/run/containerd/containerd.sock", "default", "demo"),
                SocketAddress.hash("/run/containerd//containerd.sock/", "default", "demo"));
    }

    @Test
    void addressNamesItsSocketFile() {
        assertEquals(Path.of("/run/containerd/s/abc"), SocketAddress.socketFile("unix:///run/containerd/s/abc"));
        assertNull(SocketAddress.socketFile("\0/containerd-shim/x.sock"));
    }

    @Test
    void mountinfoKeepsOnlyMountsUnderTheStateDirAndUnescapesPaths() throws IOException {
        Path state = Path.of("/run/containerd");
        List<MountInfo> mounts = MountInfo.parse(resource("mountinfo.txt"), state.toString());
        assertEquals(3, mounts.size());
        MountInfo first = mounts.getFirst();
        assertEquals("overlay", first.fsType());
        assertEquals(Path.of("/run/containerd/io.containerd.runtime.v2.task/default/db/rootfs"), first.mountPath());
        assertEquals(Path.of("/run/containerd/io.containerd.runtime.v2.task/default/with space/rootfs"),
                mounts.get(2).mountPath());
    }

    @Test
    void mountinfoFilterIsAPathPrefixNotAStringPrefix() {
        String text = """
                40 25 0:70 / /run/containerd/io.containerd.runtime.v2.task/default/db/rootfs rw - overlay overlay rw
                41 25 0:71 / /run/containerd/io.containerd.runtime.v2.task/default/dbx/rootfs rw - overlay overlay rw
                """;
        List<MountInfo> mounts = MountInfo.parse(text, "/run/containerd/io.containerd.runtime.v2.task/default/db");
        assertEquals(List.of(40), mounts.stream().map(MountInfo::mountId).toList());
    }

    @Test
    void mountsUnderADirectoryComeDeepestFirst() throws IOException {
        Path bundle = Path.of("/run/containerd/io.containerd.runtime.v2.task/default/db");
        List<MountInfo> under = MountInfo.under(MountInfo.parse(resource("mountinfo.txt")), bundle.toString());
        assertEquals(List.of(bundle.resolve("rootfs/proc"), bundle.resolve("rootfs")),
                under.stream().map(MountInfo::mountPath).toList());
    }

    @Test
    void statStartTimeIsField22EvenWhenCommHoldsParenthesesAndSpaces() {
        String stat = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 150 0 0 0 0 0 0 0 20 0 1 0 987654 "
                      + "5713920 196 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        assertEquals(new ProcStat(1, 987654), ProcStat.parse(stat));
    }

    @Test
    void goShimDaemonIsRecognisedButItsStartAndDeleteRunsAreNot() {
        assertEquals(new ShimArgv("default", "demo", "/run/containerd/containerd.sock"),
                ShimArgv.parse(List.of("/usr/bin/containerd-shim-runc-v2", "-namespace", "default", "-id", "demo",
                        "-address", "/run/containerd/containerd.sock")));
        assertNull(ShimArgv.parse(List.of("/usr/bin/containerd-shim-runc-v2", "-namespace", "default", "-address",
                "/run/containerd/containerd.sock", "-publish-binary", "/usr/bin/containerd", "-id", "demo", "start")));
        assertNull(ShimArgv.parse(List.of("/usr/bin/containerd-shim-runc-v2", "-namespace", "default", "-id=demo",
                "-address=/c.sock", "-debug", "delete")));
    }

    @Test
    void javaShimDaemonIsRecognisedAfterTheJvmOptions() {
        assertEquals(new ShimArgv("k8s.io", "abc", "/c.sock"),
                ShimArgv.parse(List.of("/opt/jrunc/bin/java", "-Xshare:auto", "-m", "shim.cli/jrunc.cli.ShimMain",
                        "-namespace=k8s.io", "-debug", "-id", "abc", "-address", "/c.sock")));
        assertNull(ShimArgv.parse(List.of("/usr/bin/sleep", "100")));
    }

    @Test
    void aWarmSpareIsNoShimDaemonUntilItTakesATaskOver() {
        List<String> jvm = List.of("/opt/jrunc/bin/java", "-Xss256k", "-m", "shim.cli/jrunc.cli.ShimMain");
        List<String> spare = new java.util.ArrayList<>(jvm);
        spare.addAll(List.of("-namespace", "default", "-id", jrunc.core.manager.SpareKey.ID_SLOT, "-address", "/c.sock",
                "-spare", "-spare-idle", "600"));
        assertNull(ShimArgv.parse(spare), "a spare is never a leaked shim");
        List<String> spareEq = new java.util.ArrayList<>(jvm);
        spareEq.addAll(List.of("-namespace=default", "-spare=true", "-id", "x", "-address", "/c.sock"));
        assertNull(ShimArgv.parse(spareEq));
        // what a spare's command line reads once it has taken task c1 over: the daemon start would have spawned
        List<String> adopted = new java.util.ArrayList<>(jvm);
        adopted.addAll(List.of("-namespace", "default", "-id", "c1", "-address", "/c.sock", "", "", ""));
        assertEquals(new ShimArgv("default", "c1", "/c.sock"), ShimArgv.parse(adopted));
    }

    @Test
    void systemdCgroupsPathBecomesItsScopeUnderTheSliceTree() {
        assertEquals("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-abc.scope",
                ContainerMatch.cgroupOf("kubepods-besteffort-pod1.slice:cri-containerd:abc"));
        assertEquals("/default/x", ContainerMatch.cgroupOf("/default/x"));
    }
}
