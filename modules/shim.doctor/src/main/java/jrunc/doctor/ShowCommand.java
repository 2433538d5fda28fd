package jrunc.doctor;

import java.util.Set;
import java.util.concurrent.Callable;
import jrunc.core.doctor.CleanPlan;
import jrunc.core.doctor.Diagnosis;
import jrunc.core.doctor.Scope;
import jrunc.doctor.node.NodeScanner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code show ID}: every leftover of one container and what clean would do about it. */
@Command(name = "show", description = "Show the leftovers of one id and the actions clean would take.")
final class ShowCommand implements Callable<Integer> {
    @ParentCommand DoctorCommand doctor;

    @Parameters(paramLabel = "ID", description = "container id (or, for a socket no bundle claims, its file name)")
    String id;

    @Option(names = "--json", description = "print one JSON document (schema " + Reports.SCHEMA + ")")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Diagnosis d = Diagnosis.examine(new NodeScanner(doctor.scanOptions(), doctor.env.os()).scan(), new Scope(doctor.namespace, Set.of(id)));
        CleanPlan plan = CleanPlan.of(d, doctor.runcRoot);
        int exit = d.clean() ? Exit.CLEAN : Exit.LEFTOVERS;
        if (json) {
            Reports.printJson(doctor.env.out(), Reports.document("show", doctor, d.findings(),
                    Reports.planned(plan), null, exit, -1));
        } else if (d.clean()) {
            doctor.env.out().println("no leftovers for " + id);
        } else {
            Reports.printFindings(doctor.env.out(), d.findings());
            doctor.env.out().println();
            doctor.env.out().println(plan.isEmpty() ? "clean would do nothing here (a leaked shim is only stopped when named: clean --yes " + id + ")"
                    : "clean would:");
            Reports.printPlan(doctor.env.out(), plan);
        }
        return exit;
    }
}
