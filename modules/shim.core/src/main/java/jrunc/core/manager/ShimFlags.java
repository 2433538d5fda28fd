package jrunc.core.manager;

import java.util.List;
import java.util.Optional;

/**
 * The command line containerd gives a shim v2 binary, parsed with Go's {@code flag} rules: one or two dashes,
 * {@code -flag value} or {@code -flag=value}, booleans as {@code -debug} or {@code -debug=true}, parsing stops at the
 * first non-flag argument (the action word) or after {@code --}. Hand-written on purpose: containerd execs this binary
 * for every container, and an annotation-driven parser costs 140–200 ms of start-up (measured on this project's launcher).
 *
 * @param namespace     {@code -namespace}
 * @param id            {@code -id}
 * @param address       {@code -address}: containerd's gRPC socket, an input of the socket hash
 * @param publishBinary {@code -publish-binary}: accepted and ignored, as the runc shim does
 * @param bundle        {@code -bundle}: sent with {@code delete} only
 * @param socket        {@code -socket}: serve on this path instead of fd 3
 * @param debug         {@code -debug}
 * @param version       {@code -v}
 * @param info          {@code -info}: print a {@code RuntimeInfo} for the options on stdin (containerd 2.x's CRI)
 * @param spare         {@code -spare}: jrunc's own, never passed by containerd: a warm spare daemon, booted ahead of
 *                      its task and waiting for a {@code start} to hand it one ({@link SpareKey})
 * @param spareIdle     {@code -spare-idle SECONDS}: how long such a spare waits before it exits by itself
 * @param action        {@code start}, {@code delete}, or empty for serve mode
 */
public record ShimFlags(String namespace, String id, String address, String publishBinary, String bundle,
                        String socket, boolean debug, boolean version, boolean info, boolean spare,
                        java.time.Duration spareIdle, Optional<String> action) {

    /** jrunc's own flags of a warm spare ({@link #spare}, {@link #spareIdle}). */
    public static final String SPARE = "-spare", SPARE_IDLE = "-spare-idle";

    /** The actions containerd asks of the binary; serve mode has none. */
    public static final String START = "start", DELETE = "delete";

    /** Parses argv. Throws {@link IllegalArgumentException} with a Go-like message for bad input. */
    public static ShimFlags parse(List<String> args) {
        String namespace = "", id = "", address = "", publishBinary = "", bundle = "", socket = "";
        boolean debug = false, version = false, info = false, spare = false;
        java.time.Duration spareIdle = ShimConfig.DEFAULT_SPARE_IDLE;
        int i = 0;
        while (i < args.size()) {
            String arg = args.get(i);
            if (arg.equals("--")) {
                i++;
                break;
            }
            if (arg.length() < 2 || arg.charAt(0) != '-') break;
            String name = arg.substring(arg.startsWith("--") ? 2 : 1);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (name.isEmpty() || name.startsWith("-") || name.startsWith("=")) {
                throw new IllegalArgumentException("bad flag syntax: " + arg);
            }
            i++;
            switch (name) {
                case "debug" -> debug = parseBool(name, value);
                case "v" -> version = parseBool(name, value);
                case "info" -> info = parseBool(name, value);
                case "spare" -> spare = parseBool(name, value);
                case "namespace", "id", "address", "publish-binary", "bundle", "socket", "debug-socket", "spare-idle" -> {
                    if (value == null) {
                        if (i >= args.size()) throw new IllegalArgumentException("flag needs an argument: -" + name);
                        value = args.get(i++);
                    }
                    switch (name) {
                        case "namespace" -> namespace = value;
                        case "id" -> id = value;
                        case "address" -> address = value;
                        case "publish-binary" -> publishBinary = value;
                        case "bundle" -> bundle = value;
                        case "socket" -> socket = value;
                        case "spare-idle" -> spareIdle = parseSeconds(name, value);
                        default -> { /* -debug-socket (2.x): accepted, not served */ }
                    }
                }
                default -> throw new IllegalArgumentException("flag provided but not defined: -" + name);
            }
        }
        Optional<String> action = i < args.size() ? Optional.of(args.get(i)) : Optional.empty();
        if (action.isPresent() && !action.get().equals(START) && !action.get().equals(DELETE)) {
            throw new IllegalArgumentException("unknown action \"" + action.get() + "\" (want start, delete or none)");
        }
        return new ShimFlags(namespace, id, address, publishBinary, bundle, socket, debug, version, info, spare,
                spareIdle, action);
    }

    private static java.time.Duration parseSeconds(String name, String value) {
        try {
            long seconds = Long.parseLong(value);
            if (seconds >= 1 && seconds <= ShimConfig.MAX_SPARE_IDLE.toSeconds()) return java.time.Duration.ofSeconds(seconds);
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("invalid value \"" + value + "\" for -" + name + ": seconds, 1 to "
                + ShimConfig.MAX_SPARE_IDLE.toSeconds());
    }

    private static boolean parseBool(String name, String value) {
        if (value == null) return true;
        return switch (value) {
            case "1", "t", "T", "true", "TRUE", "True" -> true;
            case "0", "f", "F", "false", "FALSE", "False" -> false;
            default -> throw new IllegalArgumentException("invalid boolean value \"" + value + "\" for -" + name);
        };
    }

    /** What every action needs; {@code -v} and {@code -info} need nothing. */
    public void requireNamespace() {
        if (namespace.isEmpty()) throw new IllegalArgumentException("shim namespace cannot be empty");
    }

    public boolean isStart() {
        return action.filter(START::equals).isPresent();
    }

    public boolean isDelete() {
        return action.filter(DELETE::equals).isPresent();
    }
}
