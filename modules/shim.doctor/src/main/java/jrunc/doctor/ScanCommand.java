package jrunc.doctor;

import java.util.concurrent.Callable;
import jrunc.core.doctor.Diagnosis;
import jrunc.core.doctor.Finding;
import jrunc.core.doctor.Scope;
import jrunc.doctor.node.NodeScanner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code scan}: reads the node and reports leftovers; changes nothing and needs no containerd. */
@Command(name = "scan", description = "Report what a crash left behind. Changes nothing.")
final class ScanCommand implements Callable<Integer> {
    @ParentCommand DoctorCommand doctor;

    @Option(names = "--json", description = "print one JSON document (schema " + Reports.SCHEMA + ")")
    boolean json;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Diagnosis d = Diagnosis.examine(new NodeScanner(doctor.scanOptions(), doctor.env.os()).scan(), new Scope(doctor.namespace, java.util.Set.of()));
        long micros = (System.nanoTime() - t0) / 1000;
        remember(doctor.env, d);
        int exit = d.clean() ? Exit.CLEAN : Exit.LEFTOVERS;
        if (json) {
            Reports.printJson(doctor.env.out(), Reports.document("scan", doctor, d.findings(), null, null, exit, micros));
        } else {
            Reports.printFindings(doctor.env.out(), d.findings());
        }
        return exit;
    }

    static void remember(Env env, Diagnosis d) {
        env.lastIds().clear();
        d.findings().stream().map(Finding::id).filter(java.util.Objects::nonNull).forEach(env.lastIds()::add);
    }
}
