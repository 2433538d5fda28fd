package jrunc.doctor;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.ParsedLine;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The interactive shell: a JLine {@link LineReader} loop that hands each line to picocli (not
 * picocli-shell-jline3, which needs the JLine bundle rather than its split modules). History is kept across
 * sessions; tab completes commands, options and the ids of the last scan. {@code clean} asks before acting.
 */
final class DoctorShell {
    static final List<String> COMMANDS = List.of("scan", "show", "clean", "collect", "help", "exit");
    private static final List<String> GLOBAL_OPTIONS = List.of("--namespace", "--state", "--socket-dir", "--runc-root",
            "--containerd-address");

    private DoctorShell() {}

    /** @param globalArgs options given on the command line that started the shell; they apply to every command */
    static int run(String[] globalArgs, Env base) throws IOException {
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            LineReader reader = LineReaderBuilder.builder().terminal(terminal).appName("shim-doctor")
                    .completer(new DoctorCompleter(base.lastIds()))
                    .variable(LineReader.HISTORY_FILE, Path.of(System.getProperty("user.home"), ".shim-doctor_history"))
                    .build();
            PrintWriter out = terminal.writer();
            Env env = new Env(out, out, true, q -> DoctorMain.yes(reader.readLine(q)), base.stop(), base.os(),
                    base.proc(), base.lastIds());
            out.println("shim-doctor " + DoctorCommand.VERSION + ": scan, show ID, clean, collect --out FILE, help, exit (tab completes)");
            while (true) {
                try {
                    reader.readLine("shim-doctor> ");
                } catch (UserInterruptException e) {
                    continue;
                } catch (EndOfFileException e) {
                    break;
                }
                List<String> words = new ArrayList<>(reader.getParsedLine().words());
                words.removeIf(String::isBlank);
                if (words.isEmpty()) continue;
                String first = words.getFirst();
                if (first.equals("exit") || first.equals("quit")) break;
                List<String> argv = new ArrayList<>(List.of(globalArgs));
                if (first.equals("help")) {
                    argv.add("--help");
                    words.removeFirst();
                    if (!words.isEmpty()) argv.add(0, words.getFirst()); // help CMD → CMD --help
                } else {
                    argv.addAll(words);
                }
                String[] line = argv.toArray(String[]::new);
                int status = DoctorMain.commandLine(new DoctorCommand(env, line, true), env, line).execute(line);
                if (status != Exit.CLEAN) out.println("(exit " + status + ")");
                out.flush();
            }
            reader.getHistory().save();
        }
        return Exit.CLEAN;
    }

    /** Commands first; then that command's options and the ids the last scan saw. */
    record DoctorCompleter(Set<String> ids) implements Completer {
        @Override
        public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
            if (line.wordIndex() == 0) {
                COMMANDS.forEach(c -> candidates.add(new Candidate(c)));
                return;
            }
            String command = line.words().getFirst();
            List<String> options = switch (command) {
                case "scan" -> List.of("--json");
                case "show" -> List.of("--json");
                case "clean" -> List.of("--dry-run", "--yes", "--json");
                case "collect" -> List.of("--out", "--json");
                case "help" -> COMMANDS;
                default -> List.of();
            };
            options.forEach(o -> candidates.add(new Candidate(o)));
            GLOBAL_OPTIONS.forEach(o -> candidates.add(new Candidate(o)));
            if (command.equals("show") || command.equals("clean") || command.equals("collect")) ids.forEach(id -> candidates.add(new Candidate(id)));
        }
    }
}
