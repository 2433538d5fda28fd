package jrunc.doctor;

import java.io.Console;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import jrunc.core.manager.StopPath;
import jrunc.core.spi.OperatingSystem;
import picocli.CommandLine;

/**
 * Entry point of shim-doctor (the image launcher points at this class). Commands run through picocli; with no
 * command on a terminal, {@link DoctorShell} takes over. Every failure ends here, in {@link Reports#fail}: exit
 * status 2 and, with {@code --json}, one JSON document with an {@code error} object, whatever went wrong (a usage
 * error, the lock held, an unreadable node, an OutOfMemoryError).
 */
public final class DoctorMain {
    private static final List<String> COMMANDS = List.of("scan", "show", "clean", "collect");

    private DoctorMain() {}

    public static void main(String[] args) {
        Console console = System.console();
        boolean terminal = console != null && console.isTerminal();
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        int status;
        try {
            // The very Stop path `containerd-shim-jrunc-v2 delete` runs; binds nothing native until a clean needs it.
            OperatingSystem os = OperatingSystem.load();
            Env env = new Env(out, err, terminal, q -> yes(console == null ? null : console.readLine("%s", q)),
                    new StopPath(os)::stop, os, Path.of("/proc"), null);
            status = run(args, env);
        } catch (Throwable e) {
            status = Reports.fail(out, err, isJson(args), commandOf(args), "internal", e);
        }
        out.flush();
        err.flush();
        System.exit(status);
    }

    /** Runs one command line; returns the exit status ({@link Exit}). */
    static int run(String[] args, Env env) {
        try {
            return commandLine(new DoctorCommand(env, args, false), env, args).execute(args);
        } catch (Throwable e) { // an Error (OutOfMemoryError, StackOverflowError) is not passed to the handlers
            return Reports.fail(env.out(), env.err(), isJson(args), commandOf(args), "internal", e);
        }
    }

    static CommandLine commandLine(DoctorCommand root, Env env, String[] args) {
        boolean json = isJson(args);
        CommandLine cl = new CommandLine(root);
        cl.setOut(env.out());
        cl.setErr(env.err());
        cl.setParameterExceptionHandler((e, argv) -> {
            if (json) return Reports.fail(env.out(), env.err(), true, commandOf(args), "usage", e);
            env.err().println("shim-doctor: " + e.getMessage());
            e.getCommandLine().usage(env.err());
            env.err().flush();
            return Exit.ERROR;
        });
        // Errors are classified inside; here, at the edge, each becomes one line (and one JSON document) and exit 2.
        cl.setExecutionExceptionHandler((e, cmd, parsed) ->
                Reports.fail(env.out(), env.err(), json, commandOf(args), kindOf(e), e));
        return cl;
    }

    static String kindOf(Throwable e) {
        if (e instanceof CleanLock.LockHeldException) return "lock";
        if (e instanceof RefusedException) return "refused";
        if (e instanceof IOException) return "node";
        return "internal";
    }

    static boolean isJson(String[] args) {
        return List.of(args).contains("--json");
    }

    static String commandOf(String[] args) {
        for (String a : args) {
            if (COMMANDS.contains(a)) return a;
        }
        return null;
    }

    static boolean yes(String answer) {
        if (answer == null) return false;
        String a = answer.trim().toLowerCase(Locale.ROOT);
        return a.equals("y") || a.equals("yes");
    }

    /** A command that will not run as asked (clean without --yes outside a terminal). */
    static final class RefusedException extends Exception {
        private static final long serialVersionUID = 1L;

        RefusedException(String message) {
            super(message);
        }
    }
}
