package jrunc.core.spi;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What to start. {@code fds} maps a child fd to a parent fd (dup2 in the child): fds 0, 1 and 2 not named there
 * are /dev/null, and no other parent fd is inherited. {@code env} null means this process's environment.
 *
 * @param argv            argv[0] is the program; a name without '/' is looked up in PATH
 * @param env             the whole environment of the child, or null for ours
 * @param cwd             working directory, or null for ours
 * @param fds             child fd → parent fd
 * @param newProcessGroup setpgid(0, 0) in the child
 * @param detached        true: nobody will wait for it here (the shim daemon started by {@code start})
 */
public record Spawn(List<String> argv, Map<String, String> env, Path cwd, Map<Integer, Integer> fds,
                    boolean newProcessGroup, boolean detached) {
    public Spawn {
        argv = List.copyOf(argv);
        env = env == null ? null : Map.copyOf(env);
        fds = Map.copyOf(fds);
        if (argv.isEmpty()) throw new IllegalArgumentException("empty argv");
    }

    public static Spawn of(List<String> argv) {
        return new Spawn(argv, null, null, Map.of(), false, false);
    }

    public Spawn withFds(Map<Integer, Integer> newFds) {
        return new Spawn(argv, env, cwd, newFds, newProcessGroup, detached);
    }

    public Spawn withEnv(Map<String, String> newEnv) {
        return new Spawn(argv, newEnv, cwd, fds, newProcessGroup, detached);
    }

    public Spawn withCwd(Path dir) {
        return new Spawn(argv, env, dir, fds, newProcessGroup, detached);
    }

    public Spawn inNewProcessGroup() {
        return new Spawn(argv, env, cwd, fds, true, detached);
    }

    public Spawn asDetached() {
        return new Spawn(argv, env, cwd, fds, newProcessGroup, true);
    }
}
