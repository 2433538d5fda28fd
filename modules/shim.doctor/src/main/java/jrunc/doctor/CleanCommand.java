package jrunc.doctor;

import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import jrunc.core.doctor.CleanPlan;
import jrunc.core.doctor.Diagnosis;
import jrunc.core.doctor.Scope;
import jrunc.doctor.node.Cleaner;
import jrunc.doctor.node.NodeScanner;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code clean}: plans the clean-up of every leftover (or of the ids given), then prints the plan ({@code --dry-run})
 * or carries it out ({@code --yes}). On a terminal without either, it shows the plan and asks. One clean at a time.
 */
@Command(name = "clean", description = "Clean leftovers with the shim's Stop path: print the plan (--dry-run) "
                                       + "or carry it out (--yes). A leaked shim is stopped only when its ID is given.")
final class CleanCommand implements Callable<Integer> {
    @ParentCommand DoctorCommand doctor;

    @ArgGroup(exclusive = true)
    Mode mode;

    static final class Mode {
        @Option(names = "--dry-run", required = true, description = "print the plan; change nothing")
        boolean dryRun;

        @Option(names = "--yes", required = true, description = "carry out the plan without asking")
        boolean yes;
    }

    @Option(names = "--json", description = "print one JSON document (schema " + Reports.SCHEMA + ")")
    boolean json;

    @Parameters(paramLabel = "ID", arity = "0..*", description = "only these ids (default: every leftover)")
    List<String> ids = List.of();

    @Override
    public Integer call() throws Exception {
        Env env = doctor.env;
        boolean dryRun = mode != null && mode.dryRun;
        boolean yes = mode != null && mode.yes;
        if (!dryRun && !yes && !env.terminal()) {
            throw new DoctorMain.RefusedException("clean: refusing to change the node without --yes (not a terminal); "
                                                  + "use --dry-run to print the plan");
        }
        Scope scope = new Scope(doctor.namespace, Set.copyOf(ids));
        NodeScanner scanner = new NodeScanner(doctor.scanOptions(), env.os());
        if (yes) {
            // The lock first, then the scan: the plan carried out is judged on a node no other clean is changing.
            try (CleanLock lock = CleanLock.acquire(doctor.lock)) {
                Diagnosis before = Diagnosis.examine(scanner.scan(), scope);
                return execute(env, scanner, scope, before, CleanPlan.of(before, doctor.runcRoot));
            }
        }
        Diagnosis before = Diagnosis.examine(scanner.scan(), scope);
        ScanCommand.remember(env, before);
        CleanPlan plan = CleanPlan.of(before, doctor.runcRoot);
        if (!dryRun && confirmed(env, before, plan)) {
            try (CleanLock lock = CleanLock.acquire(doctor.lock)) {
                return execute(env, scanner, scope, before, plan);
            }
        }
        int exit = before.clean() ? Exit.CLEAN : Exit.LEFTOVERS;
        if (json) {
            Reports.printJson(env.out(), Reports.document("clean", doctor, before.findings(), Reports.planned(plan),
                    null, exit, -1).put("dryRun", true));
        } else {
            Reports.printFindings(env.out(), before.findings());
            if (!plan.isEmpty()) {
                env.out().println();
                env.out().println(dryRun ? "dry run: clean --yes would carry out:" : "nothing done; the plan was:");
                Reports.printPlan(env.out(), plan);
            }
        }
        return exit;
    }

    private int execute(Env env, NodeScanner scanner, Scope scope, Diagnosis before, CleanPlan plan) throws java.io.IOException {
        List<Cleaner.Outcome> outcomes = new Cleaner(env.stop(), env.os(), scanner.options()).execute(plan);
        Diagnosis after = Diagnosis.examine(scanner.scan(), scope);
        ScanCommand.remember(env, after);
        int exit = after.clean() ? Exit.CLEAN : Exit.LEFTOVERS;
        if (json) {
            Reports.printJson(env.out(), Reports.document("clean", doctor, before.findings(),
                    Reports.outcomes(outcomes), after.findings(), exit, -1).put("dryRun", false));
        } else {
            Reports.printOutcomes(env.out(), outcomes);
            env.out().println();
            if (after.clean()) {
                env.out().println("node clean");
            } else {
                env.out().println("still left:");
                Reports.printFindings(env.out(), after.findings());
            }
        }
        return exit;
    }

    private static boolean confirmed(Env env, Diagnosis d, CleanPlan plan) {
        if (plan.isEmpty()) return false;
        Reports.printFindings(env.out(), d.findings());
        env.out().println();
        Reports.printPlan(env.out(), plan);
        env.out().flush();
        return env.confirm().ask("carry out these " + plan.actions().size() + " actions? [y/N] ");
    }
}
