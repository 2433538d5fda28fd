package jrunc.doctor;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jrunc.core.doctor.CleanAction;
import jrunc.core.doctor.CleanPlan;
import jrunc.core.doctor.Finding;
import jrunc.core.doctor.Roots;
import jrunc.core.manager.Names;
import jrunc.core.manager.StopResult;
import jrunc.doctor.node.Cleaner;

/**
 * The two faces of a report: an aligned table for a person, and one JSON document for a runbook. The JSON is built
 * as a tree by hand (no reflection on our types), so its shape is exactly what docs/shim-doctor.md documents.
 */
final class Reports {
    static final String SCHEMA = "jrunc.shim-doctor/v1";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Reports() {}

    // --- JSON ---------------------------------------------------------------------------------------------------

    /**
     * The document: schema, command, options, findings, then (clean/show) actions, (clean --yes) remaining, and a
     * summary.
     */
    static ObjectNode document(String command, DoctorCommand o, List<Finding> findings, ArrayNode actions,
                               List<Finding> remaining, int exitCode, long scanMicros) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("schema", SCHEMA);
        doc.put("command", command);
        ObjectNode opts = doc.putObject("options");
        Roots roots = o.scanOptions().roots(); // as judged: each resolved to its real path
        opts.put("state", roots.stateDir().toString());
        opts.put("socketDir", roots.socketDir().toString());
        opts.put("runcRoot", roots.runcRoot().toString());
        opts.put("namespace", o.namespace);
        ArrayNode fs = doc.putArray("findings");
        findings.forEach(f -> fs.add(finding(f)));
        if (actions != null) doc.set("actions", actions);
        if (remaining != null) {
            ArrayNode rs = doc.putArray("remaining");
            remaining.forEach(f -> rs.add(finding(f)));
        }
        ObjectNode summary = doc.putObject("summary");
        summary.put("findings", findings.size());
        ObjectNode byKind = summary.putObject("byKind");
        Map<String, Integer> counts = new TreeMap<>();
        findings.forEach(f -> counts.merge(f.kind().wireName(), 1, Integer::sum));
        counts.forEach(byKind::put);
        if (actions != null) {
            summary.put("actions", actions.size());
            for (String status : List.of("planned", "done", "skipped", "failed")) {
                int n = 0;
                for (var a : actions) n += status.equals(a.path("status").asText()) ? 1 : 0;
                summary.put(status, n);
            }
        }
        if (remaining != null) summary.put("remaining", remaining.size());
        if (scanMicros >= 0) summary.put("scanMillis", scanMicros / 1000.0);
        summary.put("exitCode", exitCode);
        return doc;
    }

    static ObjectNode finding(Finding f) {
        ObjectNode n = JSON.createObjectNode();
        n.put("namespace", f.namespace());
        n.put("id", f.id());
        n.put("kind", f.kind().wireName());
        n.put("path", f.path().toString());
        n.put("detail", f.detail());
        f.attributes().forEach((k, v) -> n.set(k, JSON.valueToTree(v)));
        return n;
    }

    static ArrayNode planned(CleanPlan plan) {
        ArrayNode out = JSON.createArrayNode();
        plan.actions().forEach(a -> out.add(action(a).put("status", "planned")));
        return out;
    }

    static ArrayNode outcomes(List<Cleaner.Outcome> outcomes) {
        ArrayNode out = JSON.createArrayNode();
        for (Cleaner.Outcome o : outcomes) {
            ObjectNode n = action(o.action()).put("status", o.status().wireName()).put("outcome", o.detail());
            if (!o.steps().isEmpty()) {
                ArrayNode steps = n.putArray("steps");
                for (StopResult.Step s : o.steps()) {
                    steps.addObject().put("action", s.action()).put("target", s.target()).put("ok", s.ok())
                            .put("detail", s.detail());
                }
            }
            out.add(n);
        }
        return out;
    }

    private static ObjectNode action(CleanAction a) {
        ObjectNode n = JSON.createObjectNode();
        n.put("namespace", a.namespace());
        n.put("id", a.id());
        n.put("action", a.type().wireName());
        n.put("target", a.target().toString());
        if (a.pid() != 0) {
            n.put("pid", a.pid());
            n.put("startTicks", a.startTicks());
            n.put("proof", a.proof().wireName());
        }
        if (!a.tasks().isEmpty()) {
            ArrayNode tasks = n.putArray("tasks");
            a.tasks().forEach(tasks::add);
        }
        n.put("detail", a.detail());
        return n;
    }

    static void printJson(PrintWriter out, ObjectNode doc) {
        out.println(toJson(doc));
        out.flush();
    }

    static String toJson(ObjectNode doc) {
        try {
            return JSON.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    // --- tables -------------------------------------------------------------------------------------------------

    static void printFindings(PrintWriter out, List<Finding> findings) {
        if (findings.isEmpty()) {
            out.println("no leftovers");
        } else {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"NAMESPACE", "ID", "KIND", "PATH", "DETAIL"});
            for (Finding f : findings) {
                rows.add(new String[] {dash(f.namespace()), dash(f.id()), f.kind().wireName(), f.path().toString(), f.detail()});
            }
            table(out, rows);
        }
        out.flush();
    }

    static void printPlan(PrintWriter out, CleanPlan plan) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"#", "NAMESPACE", "ID", "ACTION", "TARGET", "DETAIL"});
        int i = 1;
        for (CleanAction a : plan.actions()) {
            rows.add(new String[] {Integer.toString(i++), dash(a.namespace()), dash(a.id()), a.type().wireName(),
                    a.target().toString(), a.detail()});
        }
        table(out, rows);
        out.flush();
    }

    static void printOutcomes(PrintWriter out, List<Cleaner.Outcome> outcomes) {
        if (outcomes.isEmpty()) {
            out.println("nothing to do");
        } else {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"NAMESPACE", "ID", "ACTION", "TARGET", "STATUS", "OUTCOME"});
            for (Cleaner.Outcome o : outcomes) {
                CleanAction a = o.action();
                rows.add(new String[] {dash(a.namespace()), dash(a.id()), a.type().wireName(), a.target().toString(),
                        o.status().wireName(), o.detail()});
            }
            table(out, rows);
        }
        out.flush();
    }

    /**
     * Left-aligned columns two spaces apart; the last column is not padded. Every cell has its control characters
     * escaped ({@link Names#printable}): an id holding a newline cannot forge a row.
     */
    private static void table(PrintWriter out, List<String[]> raw) {
        List<String[]> rows = raw.stream().map(r -> java.util.Arrays.stream(r).map(Names::printable).toArray(String[]::new)).toList();
        int cols = rows.getFirst().length;
        int[] width = new int[cols];
        for (String[] r : rows) {
            for (int c = 0; c < cols - 1; c++) width[c] = Math.max(width[c], r[c].length());
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < cols; c++) {
                line.append(r[c]);
                if (c < cols - 1) line.append(" ".repeat(width[c] - r[c].length() + 2));
            }
            out.println(line);
        }
    }

    /**
     * The one place a failure ends: a line on stderr and, with {@code --json}, the one JSON document of the run on
     * stdout with an {@code error} object. Always exit status 2: an error is never "leftovers found".
     *
     * @param kind {@code usage}, {@code refused}, {@code lock}, {@code node} (unreadable), {@code internal}
     */
    static int fail(PrintWriter out, PrintWriter err, boolean json, String command, String kind, Throwable e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        err.println("shim-doctor: " + Names.printable(message));
        err.flush();
        if (json) {
            ObjectNode doc = JSON.createObjectNode();
            doc.put("schema", SCHEMA);
            doc.put("command", command);
            doc.putObject("error").put("kind", kind).put("message", message);
            doc.putObject("summary").put("exitCode", Exit.ERROR);
            printJson(out, doc);
        }
        return Exit.ERROR;
    }

    private static String dash(String s) {
        return s == null ? "-" : s;
    }
}
