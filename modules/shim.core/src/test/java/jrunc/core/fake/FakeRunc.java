package jrunc.core.fake;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;
import jrunc.core.spi.Spawn;

/**
 * runc as the {@link FakeReaper} plays it: recognises the command after go-runc's global flags, writes pid files,
 * prints {@code ps} output, logs an error to {@code log.json} and exits 1 for commands told to fail.
 * Container processes get pids of their own and only exit when a test says so (or a hook does).
 */
public final class FakeRunc implements FakeReaper.Script {
    private final FakeOperatingSystem os;
    /** command → message runc logs at error level before exiting 1. */
    public final Map<String, String> failures = new ConcurrentHashMap<>();
    /** Pids of the container processes made by create/exec, in order. */
    public final List<Integer> containerPids = Collections.synchronizedList(new ArrayList<>());
    /** Exec specs as runc read them from {@code --process}. */
    public final List<String> execSpecs = Collections.synchronizedList(new ArrayList<>());
    /** What the next create/exec's process writes to its stdout and stderr (null: nothing). */
    public volatile String processStdout, processStderr;
    /** Runs with the new process's pid while runc create/exec is still running (e.g. to make it die at once). */
    public volatile IntConsumer onProcessMade = pid -> {};
    /** Runs with the init's pid while runc start is still running. */
    public volatile IntConsumer onStart = pid -> {};
    public volatile List<Integer> psPids = List.of();
    /** The ptys made for create/exec with --console-socket, in order. */
    public final List<FakeOperatingSystem.FakePty> ptys = Collections.synchronizedList(new ArrayList<>());
    /** Whether the process keeps its terminal open after writing {@link #processStdout} (else it hangs up at once). */
    public volatile boolean keepTerminalOpen;
    public volatile byte[] updateStdin;

    /** Container processes that have exited: runc kill of such an init says "container not running". */
    private final java.util.Set<Integer> exited = ConcurrentHashMap.newKeySet();

    public FakeRunc(FakeOperatingSystem os) {
        this.os = os;
        os.reaper.subscribe(exit -> exited.add(exit.pid()));
    }

    public static String commandOf(List<String> argv) {
        for (int i = 1; i < argv.size(); i++) {
            switch (argv.get(i)) {
                case "--root", "--log", "--log-format", "--criu" -> i++;
                case "--systemd-cgroup" -> {}
                default -> {
                    return argv.get(i);
                }
            }
        }
        return "";
    }

    private static String argAfter(List<String> argv, String flag) {
        return argv.get(argv.indexOf(flag) + 1);
    }

    @Override
    public void run(Spawn spawn, int pid) throws IOException {
        List<String> argv = spawn.argv();
        String command = commandOf(argv);
        String failure = failures.get(command);
        if (failure != null) {
            failWith(argv, failure);
            os.reaper.exit(pid, 1);
            return;
        }
        switch (command) {
            case "create", "exec", "restore" -> {
                if (command.equals("exec")) execSpecs.add(Files.readString(Path.of(argAfter(argv, "--process"))));
                int processPid = os.reaper.allocatePid();
                containerPids.add(processPid);
                if (argv.contains("--console-socket")) {
                    FakeOperatingSystem.FakePty pty = os.sendConsole(Path.of(argAfter(argv, "--console-socket")));
                    ptys.add(pty);
                    if (processStdout != null) pty.processWrites(processStdout);
                    if (!keepTerminalOpen) pty.hangUp();
                } else {
                    write(spawn, 1, processStdout);
                    write(spawn, 2, processStderr);
                }
                Files.writeString(Path.of(argAfter(argv, "--pid-file")), Integer.toString(processPid));
                onProcessMade.accept(processPid);
                os.reaper.exit(pid, 0);
            }
            case "start" -> {
                if (!containerPids.isEmpty()) onStart.accept(containerPids.getFirst());
                os.reaper.exit(pid, 0);
            }
            case "kill" -> {
                boolean notRunning = !argv.contains("--all") && !containerPids.isEmpty()
                        && exited.contains(containerPids.getFirst());
                if (notRunning) failWith(argv, "container not running");
                os.reaper.exit(pid, notRunning ? 1 : 0);
            }
            case "ps" -> {
                write(spawn, 1, psPids.toString().replace(" ", ""));
                os.reaper.exit(pid, 0);
            }
            case "update" -> {
                // runc reads stdin after the shim has started it: read on a thread, then exit
                ReadableByteChannel stdin = (ReadableByteChannel) os.channel(spawn.fds().get(0));
                Thread.ofVirtual().start(() -> {
                    try {
                        updateStdin = Channels.newInputStream(stdin).readAllBytes();
                    } catch (IOException e) {
                        updateStdin = new byte[0];
                    }
                    os.reaper.exit(pid, 0);
                });
            }
            default -> os.reaper.exit(pid, 0);
        }
    }

    /** What runc does before it exits 1: its error goes to log.json. */
    private static void failWith(List<String> argv, String message) throws IOException {
        String line = "{\"level\":\"error\",\"msg\":\"" + message.replace("\"", "\\\"").replace("\n", "\\n") + "\",\"time\":\"2024-01-01T00:00:00Z\"}\n";
        Files.writeString(Path.of(argAfter(argv, "--log")), line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private void write(Spawn spawn, int childFd, String text) throws IOException {
        Integer fd = spawn.fds().get(childFd);
        if (text == null || fd == null) return;
        WritableByteChannel ch = (WritableByteChannel) os.channel(fd);
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) ch.write(b);
    }

    /** Argument lists of the runc commands run so far. */
    public List<List<String>> commands() {
        return os.reaper.argvs().stream().filter(a -> a.getFirst().equals("runc")).toList();
    }

    public boolean ran(String... commandTail) {
        List<String> tail = List.of(commandTail);
        return commands().stream().anyMatch(a -> a.size() >= tail.size() && a.subList(a.size() - tail.size(), a.size()).equals(tail));
    }
}
