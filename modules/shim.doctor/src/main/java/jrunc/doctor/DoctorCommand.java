package jrunc.doctor;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import jrunc.core.doctor.Roots;
import jrunc.core.manager.SocketProbe;
import jrunc.doctor.node.NodeScanner;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** {@code shim-doctor}: the options every command shares (given before or after the command word). */
@Command(name = "shim-doctor", mixinStandardHelpOptions = true, versionProvider = DoctorCommand.Version.class,
        description = "Finds what a crash left of containerd shims on this node (dead bundles, sockets, mounts, "
                      + "runc state, stale pid files, leaked shims) and cleans it with the shim's own Stop path.",
        subcommands = {ScanCommand.class, CleanCommand.class, ShowCommand.class, CollectCommand.class},
        footer = {"", "Exit status: 0 node clean, 1 leftovers found or remaining, 2 error.",
                "With no command on a terminal, starts an interactive shell."})
final class DoctorCommand implements java.util.concurrent.Callable<Integer> {
    static final String DEFAULT_RUNC_ROOT = "/run/containerd/runc";
    static final String VERSION = "0.1.0";

    final Env env;
    private final String[] args;
    private final boolean inShell;

    @Option(names = "--state", scope = ScopeType.INHERIT, paramLabel = "DIR", defaultValue = "/run/containerd",
            description = "containerd's state directory (default: ${DEFAULT-VALUE})")
    Path state;

    @Option(names = "--socket-dir", scope = ScopeType.INHERIT, paramLabel = "DIR", defaultValue = "/run/containerd/s",
            description = "where shims put their sockets (default: ${DEFAULT-VALUE})")
    Path socketDir;

    @Option(names = "--runc-root", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "runc's root, without the namespace (default: " + DEFAULT_RUNC_ROOT
                          + "; clean then takes each bundle's own from options.json)")
    Path runcRoot;

    @Option(names = "--namespace", scope = ScopeType.INHERIT, paramLabel = "NS",
            description = "only this containerd namespace (default: all)")
    String namespace;

    @Option(names = "--containerd-address", scope = ScopeType.INHERIT, paramLabel = "SOCK",
            description = "containerd's -address: sockets are mapped to bundles by its hash (default "
                          + NodeScanner.Options.DEFAULT_CONTAINERD_ADDRESS + "), and a shim given another one is "
                          + "another containerd's, neither reported nor touched (default: any)")
    List<String> containerdAddresses = List.of();

    @Option(names = "--lock", scope = ScopeType.INHERIT, paramLabel = "FILE", hidden = true,
            defaultValue = "/run/jrunc-shim-doctor.lock", description = "lock file held by clean")
    Path lock;

    DoctorCommand(Env env, String[] args, boolean inShell) {
        this.env = env;
        this.args = args.clone();
        this.inShell = inShell;
    }

    /** No command: the shell on a terminal (keeping the options given), a usage error elsewhere. */
    @Override
    public Integer call() throws java.io.IOException {
        if (env.terminal() && !inShell) return DoctorShell.run(args, env);
        env.err().println(inShell ? "give a command: scan, show ID, clean, collect --out FILE, help, exit"
                : "shim-doctor: give a command (scan, clean, show, collect); see shim-doctor --help");
        env.err().flush();
        return Exit.ERROR;
    }

    /** The options with every root resolved once to its real path: whatever is acted on lies inside them. */
    NodeScanner.Options scanOptions() {
        Roots roots = new Roots(canonical(state), canonical(socketDir),
                canonical(runcRoot == null ? Path.of(DEFAULT_RUNC_ROOT) : runcRoot));
        return new NodeScanner.Options(roots, namespace, env.proc(), Set.copyOf(containerdAddresses),
                SocketProbe.DEFAULT_TIMEOUT);
    }

    /**
     * The real path ({@code /var/run} → {@code /run}, {@code ..} resolved); for a path that does not exist (yet),
     * the real path of its deepest existing ancestor with the rest appended.
     */
    static Path canonical(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path rest = Path.of("");
        for (Path q = abs; q != null; q = q.getParent()) {
            try {
                return q.toRealPath().resolve(rest).normalize();
            } catch (java.io.IOException e) {
                rest = q.getFileName() == null ? rest : q.getFileName().resolve(rest);
            }
        }
        return abs;
    }

    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"shim-doctor " + VERSION + " (report schema " + Reports.SCHEMA + ")"};
        }
    }
}
