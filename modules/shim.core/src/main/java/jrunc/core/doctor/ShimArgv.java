package jrunc.core.doctor;

import java.util.List;
import java.util.Set;
import jrunc.core.manager.SocketAddress;

/**
 * Recognises a shim daemon by its argv: {@code containerd-shim-runc-v2 -namespace ns -id id -address sock} as
 * {@code start} spawns it (containerd v1.6.20 runtime/v2/runc/manager/manager_linux.go, Start), ours included (its
 * argv[0] is the JVM). The daemon is the one
 * with no action word; {@code start} and {@code delete} runs are short-lived and not daemons, and neither is a
 * jrunc warm spare ({@code -spare}): it serves no task and owns nothing but its rendezvous socket. A spare that
 * takes a task over rewrites its command line to the daemon's, and is judged as one from then on.
 *
 * @param namespace the {@code -namespace} value
 * @param id        the {@code -id} value: the task whose {@code start} spawned the daemon
 * @param address   containerd's {@code -address} (its gRPC socket), the first part of the socket hash
 */
public record ShimArgv(String namespace, String id, String address) {

    // Go's flag package: these take no value. Anything else starting with '-' takes one unless written -f=v.
    private static final Set<String> BOOL_FLAGS = Set.of("debug", "v", "version", "info", "spare");
    private static final Set<String> ACTIONS = Set.of("start", "delete");

    /** The shim daemon this argv belongs to, or null when it is not one. */
    public static ShimArgv parse(List<String> argv) {
        if (argv.isEmpty()) return null;
        String prog = argv.getFirst();
        boolean goShim = prog.substring(prog.lastIndexOf('/') + 1).startsWith("containerd-shim-");
        int from = goShim ? 1 : firstIndexOfNamespace(argv);
        if (from < 0) return null;
        String ns = null, id = null, address = null;
        for (int i = from; i < argv.size(); i++) {
            String a = argv.get(i);
            if (!a.startsWith("-") || a.equals("-") || a.equals("--")) {
                // Go's flag parsing stops at the first non-flag: that is the action word, if any.
                if (ACTIONS.contains(a)) return null;
                break;
            }
            String name = a.replaceFirst("^--?", "");
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (name.equals("spare")) {
                return null;
            } else if (BOOL_FLAGS.contains(name)) {
                continue;
            } else {
                value = i + 1 < argv.size() ? argv.get(++i) : null;
            }
            switch (name) {
                case "namespace" -> ns = value;
                case "id" -> id = value;
                case "address" -> address = value;
                case "spare" -> {
                    if (!"false".equalsIgnoreCase(value) && !"0".equals(value)) return null;
                }
                default -> { }
            }
        }
        return ns != null && id != null && address != null ? new ShimArgv(ns, id, address) : null;
    }

    private static int firstIndexOfNamespace(List<String> argv) {
        for (int i = 1; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.equals("-namespace") || a.equals("--namespace") || a.startsWith("-namespace=")
                    || a.startsWith("--namespace=")) return i;
        }
        return -1;
    }

    /** The socket this daemon would listen on when its group key is its own id (the common, ungrouped case). */
    public String ungroupedSocketHash() {
        return SocketAddress.hash(address, namespace, id);
    }
}
