package jrunc.linux;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The file actions that give a spawned child exactly the descriptors of {@link jrunc.core.spi.Spawn#fds()}: each
 * mapped child fd, /dev/null on an unmapped 0, 1 or 2, and nothing else.
 *
 * <p>Every parent fd is first copied to a scratch fd above all the fds involved, and only then onto its child fd.
 * That one rule covers the two traps of a direct dup2: a mapping such as 3→3 (dup2 onto itself does nothing, so
 * FD_CLOEXEC, which every fd jrunc opens has, would stay set and exec would close it) and a permutation such as
 * {3←4, 4←3} (the first dup2 would clobber the source of the second). A dup2 onto a different fd always clears
 * FD_CLOEXEC.
 *
 * <p>Then every other descriptor is closed in the child: the JVM opens some of its own files without O_CLOEXEC,
 * and a container's runc must not hold them.
 */
record FdPlan(List<Action> actions) {

    sealed interface Action {}

    /** dup2(from, to) in the child. */
    record Dup2(int from, int to) implements Action {}

    /** open("/dev/null", O_RDWR) onto fd. */
    record DevNull(int fd) implements Action {}

    /** close(fd) in the child, ignored when fd is not open. */
    record Close(int fd) implements Action {}

    /** close every fd from lowFd up (close_range). */
    record CloseFrom(int lowFd) implements Action {}

    FdPlan {
        actions = List.copyOf(actions);
    }

    /** The plan for a child fd → parent fd map. */
    static FdPlan of(Map<Integer, Integer> childToParent) {
        Map<Integer, Integer> mapping = new TreeMap<>(childToParent); // a stable order: child fd ascending
        int highest = 2;
        for (Map.Entry<Integer, Integer> e : mapping.entrySet()) {
            if (e.getKey() < 0 || e.getValue() < 0) {
                throw new IllegalArgumentException("negative fd in mapping " + e.getKey() + "←" + e.getValue());
            }
            highest = Math.max(highest, Math.max(e.getKey(), e.getValue()));
        }
        int highestChild = mapping.keySet().stream().mapToInt(Integer::intValue).max().orElse(2);
        int scratch = highest + 1;

        List<Action> actions = new ArrayList<>();
        int i = 0;
        for (int parent : mapping.values()) actions.add(new Dup2(parent, scratch + i++));
        i = 0;
        for (int child : mapping.keySet()) actions.add(new Dup2(scratch + i++, child));
        for (int fd = 0; fd <= 2; fd++) {
            if (!mapping.containsKey(fd)) actions.add(new DevNull(fd));
        }
        for (int fd = 3; fd < highestChild; fd++) {
            if (!mapping.containsKey(fd)) actions.add(new Close(fd));
        }
        // also closes the scratch fds, which all lie above the highest child fd
        actions.add(new CloseFrom(Math.max(3, highestChild + 1)));
        return new FdPlan(actions);
    }
}
