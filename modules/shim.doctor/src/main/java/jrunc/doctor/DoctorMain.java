package jrunc.doctor;

import java.io.Console;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import jrunc.core.manager.StopPath;
import jrunc.core.spi.OperatingSystem;
import picocli.CommandLine;

/**
 * Entry point of shim-doctor (the image launcher points at this class). Commands run through picocli; with no
 * command on a terminal, {@link DoctorShell} takes over.
 */
public final class DoctorMain {
    private DoctorMain() {}

    public static void main(String[] args) {
        Console console = System.console();
        boolean terminal = console != null && console.isTerminal();
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        // The very Stop path `containerd-shim-jrunc-v2 delete` runs; binds nothing native until a clean needs it.
        OperatingSystem os = OperatingSystem.load();
        Env env = new Env(out, err, terminal, q -> yes(console == null ? null : console.readLine("%s", q)),
                new StopPath(os)::stop, os, Path.of("/proc"), null);
        int status = run(args, env);
        out.flush();
        err.flush();
        System.exit(status);
    }

    /** Runs one command line; returns the exit status ({@link Exit}). */
    static int run(String[] args, Env env) {
        return commandLine(new DoctorCommand(env, args, false), env).execute(args);
    }

    static CommandLine commandLine(DoctorCommand root, Env env) {
        CommandLine cl = new CommandLine(root);
        cl.setOut(env.out());
        cl.setErr(env.err());
        // picocli answers a usage error with exit status 2 (ExitCode.USAGE), which is our ERROR too.
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // Errors are classified inside; here, at the edge, each becomes one line and exit status 2.
            env.err().println("shim-doctor: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            env.err().flush();
            return Exit.ERROR;
        });
        return cl;
    }

    static boolean yes(String answer) {
        if (answer == null) return false;
        String a = answer.trim().toLowerCase(Locale.ROOT);
        return a.equals("y") || a.equals("yes");
    }
}
