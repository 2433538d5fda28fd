package jrunc.doctor;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import jrunc.core.doctor.Diagnosis;
import jrunc.core.doctor.Scope;
import jrunc.doctor.node.Evidence;
import jrunc.doctor.node.NodeScanner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code collect --out FILE}: the incident record, taken before {@code clean} destroys it. A tar.gz with a
 * {@code manifest.json} (the scan's findings plus what each file is and where it came from) and, per leftover, the
 * bundle's small files, the mountinfo lines under it, runc's state.json and /proc files of the related processes.
 * Changes nothing on the node; the file appears whole or not at all.
 */
@Command(name = "collect", description = "Write an evidence bundle (tar.gz) of the leftovers before cleaning: "
                                         + "bundle files, mountinfo lines, processes, runc state, a manifest. Changes nothing.")
final class CollectCommand implements Callable<Integer> {
    static final String ROOT = "shim-doctor-evidence/";

    @ParentCommand DoctorCommand doctor;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "the tar.gz to write")
    Path out;

    @Option(names = "--json", description = "print the manifest (schema " + Reports.SCHEMA + ") instead of a summary")
    boolean json;

    @Parameters(paramLabel = "ID", arity = "0..*", description = "only these ids (default: every leftover)")
    List<String> ids = List.of();

    @Override
    public Integer call() throws IOException {
        NodeScanner.Options options = doctor.scanOptions();
        Diagnosis d = Diagnosis.examine(new NodeScanner(options, doctor.env.os()).scan(), new Scope(doctor.namespace, Set.copyOf(ids)));
        ScanCommand.remember(doctor.env, d);
        List<Evidence.Entry> entries = new Evidence(options, doctor.env.os()).collect(d);
        int exit = d.clean() ? Exit.CLEAN : Exit.LEFTOVERS;
        Instant now = Instant.now();

        ObjectNode manifest = Reports.document("collect", doctor, d.findings(), null, null, exit, -1);
        manifest.put("createdAt", now.toString());
        manifest.put("host", firstLine(options.proc().resolve("sys/kernel/hostname")));
        // Start times in /proc are clock ticks since boot: the boot id says which boot they count from.
        manifest.put("bootId", firstLine(options.proc().resolve("sys/kernel/random/boot_id")));
        ArrayNode files = manifest.putArray("files");
        for (Evidence.Entry e : entries) {
            files.addObject().put("name", e.name()).put("source", e.source().toString()).put("bytes", e.content().length)
                    .put("truncated", e.truncated());
        }
        write(entries, Reports.toJson(manifest), now);

        if (json) {
            Reports.printJson(doctor.env.out(), manifest);
        } else {
            doctor.env.out().println("wrote " + out + ": " + d.findings().size() + " finding(s), " + entries.size()
                                     + " file(s)");
            doctor.env.out().flush();
        }
        return exit;
    }

    /** Into a temp file beside {@code out}, then renamed: a runbook never picks up half an archive. */
    private void write(List<Evidence.Entry> entries, String manifest, Instant now) throws IOException {
        Path target = out.toAbsolutePath();
        Path partial = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".partial");
        try {
            try (OutputStream raw = Files.newOutputStream(partial); TarGz tar = new TarGz(raw, now.getEpochSecond())) {
                tar.add(ROOT + "manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
                for (Evidence.Entry e : entries) tar.add(ROOT + e.name(), e.content());
            }
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    private static String firstLine(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return null;
        }
    }
}
