package jrunc.core.manager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.Signals;

/**
 * A fault hook for the end-to-end tests of the spare hand-off: at a named step, the process SIGKILLs itself. It is
 * armed only by {@value #VARIABLE} in the environment of containerd (which {@code start} and every shim inherit),
 * naming a file whose content is the step; a container's own environment never reaches a shim. The file is read
 * at each step, so a test changes the step between two runs without restarting containerd. Unset, it costs
 * nothing and does nothing. Documented in docs/spare.md; no production setting arms it.
 */
@FunctionalInterface
public interface SpareFaults {
    String VARIABLE = "JRUNC_TEST_SPARE_FAULT_FILE";

    /** The steps a test may kill a process at. */
    enum Step {
        /** the spare, once a connection waits in its backlog, before it accepts it */
        SPARE_BEFORE_ACCEPT,
        /** the spare, once it holds start's listener, before it says READY */
        SPARE_AFTER_FD,
        /** the spare, once it is the task's daemon, before it says ADOPTED */
        SPARE_BEFORE_ANSWER,
        /** start, once the spare said READY, before GO */
        START_BEFORE_GO,
        /** start, once it said GO, before it reads the answer */
        START_AFTER_GO;

        public String fileText() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    SpareFaults NONE = step -> { };

    void at(Step step);

    /** The hook of this process: {@link #NONE} unless {@value #VARIABLE} is set. */
    static SpareFaults of(OperatingSystem os, Map<String, String> env) {
        String file = env.get(VARIABLE);
        if (file == null || file.isEmpty()) return NONE;
        return step -> {
            String armed;
            try {
                armed = new String(os.readRegularFile(Path.of(file), 256), StandardCharsets.UTF_8).strip();
            } catch (IOException | RuntimeException e) {
                return;
            }
            if (!armed.equals(step.fileText())) return;
            try {
                os.kill(os.pid(), Signals.SIGKILL);
            } catch (IOException e) {
                throw new IllegalStateException("fault " + armed + ": SIGKILL of self failed", e);
            }
        };
    }
}
