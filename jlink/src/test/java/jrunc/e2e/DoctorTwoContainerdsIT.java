package jrunc.e2e;

import static jrunc.e2e.HostileNode.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two containerd instances on one node, sharing {@code /run/containerd/s} and runc's root as every containerd 1.6
 * does: B runs tasks on Go's shim and ours (two of ours grouped in one pod shim), A has one whose shim died. A scan
 * of A's state sees only A's leftover; B's healthy shims, their sockets and their runc state are neither reported
 * nor touched, even by {@code clean --yes} naming B's ids.
 */
@ContainerdTest(shim = Shim.JRUNC)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DoctorTwoContainerdsIT {
    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(30);

    private record Task(Ctr ctr, String id, long pid, long started, long shim) {
        boolean running() {
            return DoctorCrashIT.running(pid) && DoctorCrashIT.startTicks(pid) == started;
        }
    }

    private static Task run(Ctr ctr, String id, String group) {
        List<String> flags = new ArrayList<>(List.of("-d"));
        if (group != null) flags.addAll(List.of("--annotation", DoctorCrashIT.GROUP_ANNOTATION + "=" + group));
        ctr.run(flags, id, "sleep", "600").requireSuccess();
        Ctr.Task t = ctr.awaitTaskStatus(id, "RUNNING", STATE_TIMEOUT);
        return new Task(ctr, id, t.pid(), DoctorCrashIT.startTicks(t.pid()), DoctorCrashIT.shimOf(ctr.containerd(), t));
    }

    @Test
    void aScanOfOneContainerdNeverReportsOrTouchesTheOthersShims(Ctr b) throws Exception {
        Ctr bGo = new Ctr(b.containerd(), b.namespace(), Shim.RUNC_V2);
        List<Task> theirs = List.of(run(b, "b-jrunc", null), run(bGo, "b-go", null),
                run(b, "b-pod-a", "b-pod"), run(b, "b-pod-b", "b-pod"));
        try (PrivateContainerd a = PrivateContainerd.start()) {
            BusyboxImage.importInto(a, b.namespace());
            Ctr aCtr = new Ctr(a, b.namespace(), Shim.JRUNC); // the same namespace name: nothing but --state tells them apart
            Task dead = run(aCtr, "a-dead", null);
            a.kill9();
            DoctorCrashIT.killShim(dead.shim());

            for (String address : new String[] {null, a.address()}) {
                List<String> args = new ArrayList<>(List.of("scan", "--json", "--state", a.stateDir().toString(),
                        "--runc-root", DoctorCrashIT.RUNC_ROOT.toString()));
                if (address != null) args.addAll(List.of("--containerd-address", address));
                CtrResult scan = Commands.run(doctor(args), HostileNode.DOCTOR_TIMEOUT);
                System.out.println("[doctor] scan of A (" + (address == null ? "any address" : address) + "):\n" + scan.stdout());
                assertEquals(1, scan.exitCode(), scan::describe);
                for (JsonNode f : json(scan).path("findings")) {
                    assertEquals("a-dead", f.path("id").asText(), "another containerd's was reported: " + f);
                }
            }

            List<String> named = new ArrayList<>(List.of("clean", "--yes", "--json", "--state", a.stateDir().toString(),
                    "--runc-root", DoctorCrashIT.RUNC_ROOT.toString()));
            theirs.forEach(t -> named.add(t.id()));
            CtrResult spared = Commands.run(doctor(named), HostileNode.DOCTOR_TIMEOUT);
            assertEquals(0, spared.exitCode(), "nothing of those ids is A's: " + spared.describe());
            assertEquals(0, json(spared).path("actions").size(), spared.stdout());

            CtrResult clean = Commands.run(doctor(List.of("clean", "--yes", "--json", "--state", a.stateDir().toString(),
                    "--runc-root", DoctorCrashIT.RUNC_ROOT.toString())), HostileNode.DOCTOR_TIMEOUT);
            System.out.println("[doctor] clean --yes of A:\n" + clean.stdout());
            assertEquals(0, clean.exitCode(), clean::describe);
            assertFalse(Files.exists(dead.ctr().bundle(dead.id())), "A's dead bundle is cleaned");
            assertTrue(Poll.until(Duration.ofSeconds(10), () -> !dead.running()), "A's orphaned container still runs");

            for (Task t : theirs) {
                assertTrue(t.running(), "B's task was touched: " + t);
                assertTrue(DoctorCrashIT.running(t.shim()), "B's shim was touched: " + t);
                Path socket = DoctorCrashIT.socketOf(t.ctr().bundle(t.id()));
                assertTrue(Files.exists(socket), "B's socket was removed: " + socket);
                assertEquals("RUNNING", t.ctr().task(t.id()).orElseThrow().status(), "B still manages " + t.id());
            }
            a.restart(); // its extension-less cleanup below needs it up to remove the namespace's containers
        }
    }

    /** A lock of this test JVM's own: the default one in /run is shared with every other test run on the machine. */
    private static final java.nio.file.Path LOCK = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"),
            "jrunc-e2e-doctor-" + ProcessHandle.current().pid() + ".lock");

    static {
        LOCK.toFile().deleteOnExit();
    }

    private static List<String> doctor(List<String> args) {
        List<String> argv = new ArrayList<>(List.of(Shim.image().resolve("bin/shim-doctor").toString()));
        argv.addAll(args);
        argv.addAll(List.of("--lock", LOCK.toString()));
        return argv;
    }
}
