package jrunc.core.manager;

import java.time.Instant;
import java.util.List;

/**
 * What the Stop path (the shim's {@code delete} action) found and did.
 *
 * @param pid        init pid read from {@code init.pid}, 0 when the file is missing or unreadable
 * @param exitStatus always 137 (128 + SIGKILL), as containerd-shim-runc-v2 answers
 * @param exitedAt   when the stop finished
 * @param steps      each step taken, with its outcome, in order (for logs and shim-doctor's report)
 */
public record StopResult(int pid, int exitStatus, Instant exitedAt, List<Step> steps) {
    public StopResult {
        steps = List.copyOf(steps);
    }

    /** One step of the Stop path: {@code ok} false means it failed and the next step ran anyway. */
    public record Step(String action, String target, boolean ok, String detail) {}

    public List<String> warnings() {
        return steps.stream().filter(s -> !s.ok()).map(s -> s.action() + " " + s.target() + ": " + s.detail()).toList();
    }
}
