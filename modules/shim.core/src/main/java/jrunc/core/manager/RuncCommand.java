package jrunc.core.manager;

import java.util.ArrayList;
import java.util.List;

/**
 * runc's argv as go-runc builds it: global flags first ({@code --root <root>/<ns> --log <bundle>/log.json
 * --log-format json [--systemd-cgroup]}), then the command. Shared by the Stop path and the Task service so both
 * reach the same runc state.
 */
public record RuncCommand(String binary, String root, String logFile, boolean systemdCgroup) {

    /** The runc root of a namespace: {@code <root>/<namespace>}. */
    public static String namespacedRoot(String root, String namespace) {
        return SocketAddress.goJoin(root, namespace);
    }

    public List<String> argv(String... command) {
        List<String> argv = new ArrayList<>();
        argv.add(binary);
        argv.add("--root");
        argv.add(root);
        if (logFile != null) {
            argv.add("--log");
            argv.add(logFile);
            argv.add("--log-format");
            argv.add("json");
        }
        if (systemdCgroup) argv.add("--systemd-cgroup");
        argv.addAll(List.of(command));
        return argv;
    }
}
