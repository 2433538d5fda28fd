package jrunc.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jrunc.core.manager.ShimFlags;
import jrunc.core.manager.ShimSocket;
import jrunc.core.manager.StopPath;
import jrunc.core.manager.StopResult;
import jrunc.core.spi.OperatingSystem;

/**
 * {@code delete}: the Stop path (containerd v1.6.20 runtime/v2/runc/manager/manager_linux.go, Stop), then the
 * removal of the group's socket if no shim answers on it any more (containerd leaves it behind a killed shim).
 * containerd runs it after every teardown and for every shim it lost, under a 5 s deadline; stdout carries exactly
 * the DeleteResponse bytes, logs go to stderr.
 */
final class DeleteCommand {
    private final ShimFlags flags;

    DeleteCommand(ShimFlags flags) {
        this.flags = flags;
    }

    int run(PrintStream stdout) {
        if (flags.id().isEmpty()) {
            System.err.println("containerd-shim-jrunc-v2 delete: -id is required");
            return 2;
        }
        Path bundle = flags.bundle().isEmpty() ? Path.of("").toAbsolutePath() : Path.of(flags.bundle());
        OperatingSystem os = OperatingSystem.load();
        StopResult result = new StopPath(os).stop(bundle, flags.namespace(), flags.id(), null);
        StopResult.Step socket = new ShimSocket(os).removeIfDead(bundle);
        List<String> warnings = new ArrayList<>(result.warnings());
        if (!socket.ok()) warnings.add(socket.action() + " " + socket.target() + ": " + socket.detail());
        for (String warning : warnings) {
            System.err.println("level=warning msg=\"" + warning.replace("\"", "'") + "\" id=" + flags.id());
        }
        byte[] response = result.deleteResponse();
        stdout.write(response, 0, response.length);
        stdout.flush();
        if (stdout.checkError()) {
            System.err.println("containerd-shim-jrunc-v2 delete: writing the response failed");
            return 1;
        }
        return 0;
    }
}
