package jrunc.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jrunc.core.manager.ShimFlags;
import jrunc.core.manager.SpareFaults;
import jrunc.core.manager.SpareHandoff;
import jrunc.core.manager.SpareProtocol;
import jrunc.core.manager.StartInput;
import jrunc.core.manager.StartPlan;
import jrunc.core.spi.OperatingSystem;

/**
 * {@code start}: gathers what the process was given and runs the {@link StartPlan}. The combined stdout+stderr of
 * this process is what containerd takes as the address, so nothing but the address may be printed on success.
 *
 * <p>When the handler's {@code [jrunc]} table says {@code spare = true} and the task needs a daemon of its own, the
 * bound listener is offered to the warm spare of this process's kind ({@link SpareHandoff}), which becomes the
 * task's daemon; the next spare is booted once the address is printed. If there is no spare, or it does not take
 * the task, the daemon is spawned as Go's shim does, and a spare is booted for the next start.
 */
final class StartCommand {
    private final ShimFlags flags;
    /** The bundle: containerd runs start in it. */
    private final Path bundle;

    StartCommand(ShimFlags flags) {
        this(flags, Path.of("").toAbsolutePath());
    }

    StartCommand(ShimFlags flags, Path bundle) {
        this.flags = flags;
        this.bundle = bundle;
    }

    int run(PrintStream stdout) {
        try {
            int parent = (int) (long) ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(1L);
            byte[] stdin = readStdin();
            boolean schedCore = "1".equals(System.getenv("SCHED_CORE"));
            StartPlan.Request request = new StartPlan.Request(flags, bundle, stdin, selfCommand(), parent, schedCore);
            OperatingSystem os = OperatingSystem.load();
            StartPlan plan = new StartPlan(os);
            StartPlan.Bound bound = plan.bind(request);
            // the plain address, or a BootstrapResult to containerd 2.3's BootstrapParams (StartInput)
            byte[] reply = StartInput.parse(stdin).reply(bound.address());
            if (bound.served()) {
                stdout.writeBytes(reply);
                return 0;
            }
            Spares spares = bound.shim().spare() ? Spares.of(flags) : null;
            if (spares == null) {
                plan.spawn(request, bound);
                stdout.writeBytes(reply);
                return 0;
            }
            SpareHandoff.Offer offer;
            try {
                offer = SpareHandoff.offer(os, spares.socket(), new SpareProtocol.Request(spares.key(), flags.id(),
                        bundle, bound.socket(), stdin, parent, schedCore), bound.listener(),
                        SpareHandoff.Timeouts.DEFAULT, SpareFaults.of(os, System.getenv()));
            } catch (IOException e) {
                plan.abandon(bound);
                throw e;
            }
            try (offer) {
                if (offer.outcome() instanceof SpareHandoff.Outcome.Adopted) {
                    os.close(bound.listener());
                    stdout.writeBytes(reply);
                    stdout.flush();
                    offer.done();
                    spares.boot(os, parent, bound.shim().spareIdle());
                    return 0;
                }
            }
            plan.spawn(request, bound);
            stdout.writeBytes(reply);
            stdout.flush();
            if (offer.outcome() instanceof SpareHandoff.Outcome.NotTaken n && !n.spareThere()) {
                spares.boot(os, parent, bound.shim().spareIdle());
            }
            return 0;
        } catch (IOException | RuntimeException e) {
            System.err.println("containerd-shim-jrunc-v2 start: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        }
    }

    /** What containerd wrote on stdin, whole; nothing when stdin is a terminal (a person typing). */
    private static byte[] readStdin() throws IOException {
        java.io.Console console = System.console();
        if (console != null && console.isTerminal()) return new byte[0];
        InputStream in = System.in;
        return in.readNBytes(StartInput.MAX_BYTES);
    }

    /**
     * How to run this binary again. The launcher script names itself in {@code jrunc.shim.binary}; without it (tests
     * running the module directly) re-run the same java command line.
     */
    static List<String> selfCommand() {
        String binary = System.getProperty("jrunc.shim.binary");
        if (binary != null && !binary.isEmpty()) return List.of(binary);
        ProcessHandle.Info info = ProcessHandle.current().info();
        List<String> cmd = new ArrayList<>();
        cmd.add(info.command().orElseThrow(() -> new IllegalStateException("cannot find own executable")));
        String[] args = info.arguments().orElse(new String[0]);
        for (String a : args) {
            if (a.equals("start") || a.startsWith("-namespace") || a.equals("-v")) break;
            cmd.add(a);
        }
        return cmd;
    }
}
