package jrunc.e2e;

import static jrunc.e2e.HostileNode.json;
import static jrunc.e2e.HostileNode.kinds;
import static jrunc.e2e.HostileNode.mounted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * shim-doctor on nodes built to fool it, each the layout that once made {@code clean --yes} destroy, kill or
 * unmount what was not a crashed container's: the image's binary is run against a {@link HostileNode} and every
 * test checks that the data is intact, the bystanders alive, the unrelated mounts mounted, and that {@code scan}
 * ended with its documented exit code. A hang fails through the test's timeout, never a measured duration.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DoctorHostileNodeIT {

    private static List<String> actions(JsonNode doc) {
        List<String> out = new ArrayList<>();
        doc.path("actions").forEach(a -> out.add(a.path("action").asText() + " " + a.path("target").asText()));
        return out;
    }

    /**
     * {@code --state} through a symbolic link (as {@code /var/run} → {@code /run}) and with {@code .}/{@code ..}: the
     * dead container's rootfs holds a bind-mounted volume, and a hidden {@code .<id>} bundle holds one too. The
     * volumes are unmounted before anything is removed; their data stays.
     */
    @Test
    void stateThroughALinkStillUnmountsBeforeRemovingSoVolumesKeepTheirData() throws Exception {
        try (HostileNode node = new HostileNode()) {
            Path victim = node.bundle("victim");
            node.deadShim(victim);
            node.tmpfs(victim.resolve("rootfs"));
            Path volume = node.volume("victim-volume");
            node.bind(volume, victim.resolve("rootfs/data"));
            Path hidden = node.bundle(".old");
            node.tmpfs(hidden.resolve("rootfs"));
            Path hiddenVolume = node.volume("old-volume");
            node.bind(hiddenVolume, hidden.resolve("rootfs/data"));
            Path link = Files.createSymbolicLink(node.root.resolve("var-run"), node.root);
            String state = link + "/./state/../state";

            CtrResult scan = node.doctor("scan", "--json", "--state", state);
            assertEquals(1, scan.exitCode(), scan::describe);
            JsonNode doc = json(scan);
            assertEquals(node.state.toString(), doc.path("options").path("state").asText(), "judged at its real path");
            assertTrue(kinds(doc, "findings").containsAll(List.of("dead-shim-bundle", "rootfs-mount", "hidden-bundle")),
                    doc.toString());
            JsonNode plan = json(node.doctor("clean", "--dry-run", "--json", "--state", state));
            String stop = null;
            for (JsonNode a : plan.path("actions")) {
                if (a.path("action").asText().equals("stop")) stop = a.path("detail").asText();
            }
            assertTrue(stop != null && stop.contains("unmount 2 mount(s)") && stop.contains(victim.resolve("rootfs/data").toString()),
                    plan.toString());

            CtrResult clean = node.doctor("clean", "--yes", "--json", "--state", state);
            System.out.println("[doctor] clean --yes through a linked --state:\n" + clean.stdout());
            assertEquals(0, clean.exitCode(), clean::describe);
            assertEquals("data of victim-volume", Files.readString(volume.resolve("precious")));
            assertEquals("data of old-volume", Files.readString(hiddenVolume.resolve("precious")));
            assertFalse(Files.exists(victim));
            assertFalse(Files.exists(hidden));
            assertTrue(LeftoverSweep.mountsUnder(node.state).isEmpty());
        }
    }

    /** An {@code address} naming a regular file outside the socket directory: never probed as a socket, never removed. */
    @Test
    void anAddressNamingARegularFileElsewhereNeverLosesThatFile() throws Exception {
        try (HostileNode node = new HostileNode()) {
            Path precious = Files.writeString(Files.createDirectories(node.root.resolve("etc")).resolve("precious.conf"), "keep me");
            Path b = node.bundle("addr");
            Files.writeString(b.resolve("address"), "unix://" + precious);

            CtrResult scan = node.doctor("scan", "--json");
            assertEquals(1, scan.exitCode(), scan::describe);
            JsonNode doc = json(scan);
            assertFalse(kinds(doc, "findings").contains("orphaned-socket"), doc.toString());
            assertTrue(doc.path("findings").get(0).path("detail").asText().contains("not a socket"), doc.toString());
            assertFalse(actions(json(node.doctor("clean", "--dry-run", "--json"))).stream().anyMatch(a -> a.contains(precious.toString())));

            CtrResult clean = node.doctor("clean", "--yes", "--json");
            assertEquals(0, clean.exitCode(), clean::describe);
            assertEquals("keep me", Files.readString(precious));
        }
    }

    /**
     * {@code cgroupsPath: "/"} with {@code init.pid} 1, and a cgroup that holds a bystander and the doctor itself
     * with {@code init.pid} naming the bystander: neither proves anything, so nobody is signalled.
     */
    @Test
    void aRootCgroupOrOneTheDoctorLivesInNeverGetsAnyoneKilled() throws Exception {
        try (HostileNode node = new HostileNode()) {
            Path root = node.bundle("rootcg");
            Files.writeString(root.resolve("config.json"), "{\"linux\":{\"cgroupsPath\":\"/\"}}");
            Files.writeString(root.resolve("init.pid"), "1");
            node.deadShim(root);
            Path cgroup = node.cgroup();
            Process bystander = node.bystander(cgroup);
            Process outside = node.bystander(null);
            Path shared = node.bundle("sharedcg");
            Files.writeString(shared.resolve("config.json"), "{\"linux\":{\"cgroupsPath\":\"" + HostileNode.cgroupsPath(cgroup) + "\"}}");
            Files.writeString(shared.resolve("init.pid"), Long.toString(bystander.pid()));
            node.deadShim(shared);

            // the doctor joins the bystander's cgroup before it runs
            List<String> argv = new ArrayList<>(List.of("sh", "-c", "echo $$ > " + cgroup.resolve("cgroup.procs") + " && exec \"$@\"", "sh"));
            argv.addAll(node.doctorArgv("clean", "--dry-run", "--json"));
            CtrResult dry = Commands.run(argv, HostileNode.DOCTOR_TIMEOUT);
            assertEquals(1, dry.exitCode(), dry::describe);
            assertFalse(actions(json(dry)).stream().anyMatch(a -> a.startsWith("kill")), dry.stdout());
            assertTrue(kinds(json(dry), "findings").contains("stale-init-pid"), dry.stdout());

            argv.set(argv.indexOf("--dry-run"), "--yes");
            CtrResult clean = Commands.run(argv, HostileNode.DOCTOR_TIMEOUT);
            System.out.println("[doctor] clean --yes with shared cgroups:\n" + clean.stdout());
            assertEquals(0, clean.exitCode(), "the doctor was not killed and finished: " + clean.describe());
            assertTrue(bystander.isAlive(), "the bystander in the shared cgroup was signalled");
            assertTrue(outside.isAlive(), "a bystander in the root cgroup was signalled");
            assertTrue(ProcessHandle.of(1).isPresent());
        }
    }

    /** {@code rootfs} a link to an unrelated mount: no plan names it, and {@code --yes} leaves it mounted. */
    @Test
    void aRootfsLinkedToAnUnrelatedMountLeavesThatMountAlone() throws Exception {
        try (HostileNode node = new HostileNode()) {
            Path unrelated = node.tmpfs(node.root.resolve("unrelated"));
            Files.writeString(unrelated.resolve("precious"), "mounted elsewhere");
            Path b = node.bundle("linked");
            Files.delete(b.resolve("rootfs"));
            Files.createSymbolicLink(b.resolve("rootfs"), unrelated);
            node.deadShim(b);

            JsonNode plan = json(node.doctor("clean", "--dry-run", "--json"));
            assertTrue(plan.path("actions").get(0).path("detail").asText().contains("nothing mounted under rootfs"), plan.toString());
            CtrResult clean = node.doctor("clean", "--yes", "--json");
            assertEquals(0, clean.exitCode(), clean::describe);
            assertTrue(mounted(unrelated), "the unrelated mount was unmounted");
            assertEquals("mounted elsewhere", Files.readString(unrelated.resolve("precious")));
            assertFalse(Files.exists(b, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        }
    }

    /**
     * FIFOs as {@code init.pid} and {@code address}, {@code config.json} linked to {@code /dev/zero}, a sparse
     * config.json of 1 GiB: each is an {@code unreadable-file}, the scan ends, and nothing is touched.
     */
    @Test
    void specialFilesAreReportedWithoutAHangOrAnOutOfMemory() throws Exception {
        try (HostileNode node = new HostileNode()) {
            Path pidFifo = node.bundle("fifo-pid");
            HostileNode.run("mkfifo", pidFifo.resolve("init.pid").toString());
            node.deadShim(pidFifo);
            Path addressFifo = node.bundle("fifo-address");
            HostileNode.run("mkfifo", addressFifo.resolve("address").toString());
            Path zero = node.bundle("dev-zero");
            Files.delete(zero.resolve("config.json"));
            Files.createSymbolicLink(zero.resolve("config.json"), Path.of("/dev/zero"));
            node.deadShim(zero);
            Path huge = node.bundle("huge");
            HostileNode.run("truncate", "-s", "1G", huge.resolve("config.json").toString());
            node.deadShim(huge);

            CtrResult scan = node.doctor("scan", "--json");
            System.out.println("[doctor] scan of special files:\n" + scan.stdout());
            assertEquals(1, scan.exitCode(), scan::describe);
            List<String> unreadable = new ArrayList<>();
            json(scan).path("findings").forEach(f -> {
                if (f.path("kind").asText().equals("unreadable-file")) unreadable.add(f.path("path").asText());
            });
            assertEquals(List.of(zero.resolve("config.json").toString(), addressFifo.resolve("address").toString(),
                    pidFifo.resolve("init.pid").toString(), huge.resolve("config.json").toString()), unreadable);
            CtrResult collect = node.doctor("collect", "--out", node.root.resolve("evidence.tar.gz").toString());
            assertEquals(1, collect.exitCode(), collect::describe);
            CtrResult clean = node.doctor("clean", "--yes", "--json");
            assertEquals(1, clean.exitCode(), "reported, left: " + clean.describe());
            for (Path b : List.of(pidFifo, addressFifo, zero, huge)) assertTrue(Files.isDirectory(b), b + " was acted on");
        }
    }

    /** An id holding a newline: the table shows it escaped on one row; it is reported and never acted on. */
    @Test
    void anIdHoldingANewlineForgesNoRowAndIsNeverActedOn() throws Exception {
        try (HostileNode node = new HostileNode()) {
            Path evil = node.bundle("x\n" + HostileNode.NAMESPACE + "  forged  dead-shim-bundle");
            node.deadShim(evil);
            CtrResult scan = node.doctor("scan");
            System.out.println("[doctor] scan with a newline in an id:\n" + scan.stdout());
            assertEquals(1, scan.exitCode(), scan::describe);
            List<String> lines = scan.stdout().strip().lines().toList();
            assertEquals(2, lines.size(), scan.stdout());
            assertTrue(lines.get(1).contains("x\\n" + HostileNode.NAMESPACE) && lines.get(1).contains("unsafe-name"), lines.get(1));
            assertEquals("x\n" + HostileNode.NAMESPACE + "  forged  dead-shim-bundle",
                    json(node.doctor("scan", "--json")).path("findings").get(0).path("id").asText(), "JSON keeps the raw id");
            CtrResult clean = node.doctor("clean", "--yes");
            assertEquals(1, clean.exitCode(), clean::describe);
            assertTrue(Files.isDirectory(evil));
        }
    }

    /** Two {@code clean --yes --json} at once: each prints exactly one JSON document; the one without the lock exits 2. */
    @Test
    void concurrentCleansEachPrintOneDocumentAndTheLoserExitsTwo() throws Exception {
        try (HostileNode node = new HostileNode()) {
            for (int i = 0; i < 20; i++) node.deadShim(node.bundle("dead-" + i));
            try (FileChannel ch = FileChannel.open(node.lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock held = ch.lock()) {
                CtrResult loser = node.doctor("clean", "--yes", "--json");
                assertEquals(2, loser.exitCode(), loser::describe);
                JsonNode doc = json(loser);
                assertEquals("lock", doc.path("error").path("kind").asText(), doc.toString());
                assertEquals(2, doc.path("summary").path("exitCode").asInt());
            }
            CompletableFuture<CtrResult> a = CompletableFuture.supplyAsync(() -> node.doctor("clean", "--yes", "--json"));
            CompletableFuture<CtrResult> b = CompletableFuture.supplyAsync(() -> node.doctor("clean", "--yes", "--json"));
            for (CtrResult r : List.of(a.get(), b.get())) {
                JsonNode doc = json(r);
                assertEquals(r.exitCode(), doc.path("summary").path("exitCode").asInt(), r.describe());
                assertTrue(r.exitCode() == 0 || (r.exitCode() == 2 && doc.path("error").path("kind").asText().equals("lock")),
                        r.describe());
            }
            assertEquals(0, node.doctor("scan").exitCode());
        }
    }
}
