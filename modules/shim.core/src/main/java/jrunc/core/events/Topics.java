package jrunc.core.events;

/**
 * The task event topics a runc shim sends (containerd v1.6.20 runtime/events.go), in one place. containerd files an
 * event by its topic;
 * each names the {@code containerd.events} message it carries.
 */
public final class Topics {
    private Topics() {}

    /** {@code TaskCreate}: Create succeeded. */
    public static final String TASK_CREATE = "/tasks/create";
    /** {@code TaskStart}: init Start succeeded; must precede any exit of that process. */
    public static final String TASK_START = "/tasks/start";
    /** {@code TaskExit}: any container process (init or exec) exited. */
    public static final String TASK_EXIT = "/tasks/exit";
    /** {@code TaskDelete}: Delete of the init process. */
    public static final String TASK_DELETE = "/tasks/delete";
    /** {@code TaskExecAdded}: Exec succeeded. */
    public static final String TASK_EXEC_ADDED = "/tasks/exec-added";
    /** {@code TaskExecStarted}: Start of an exec succeeded. */
    public static final String TASK_EXEC_STARTED = "/tasks/exec-started";
    /** {@code TaskOOM}: the container's cgroup OOM counter went up. */
    public static final String TASK_OOM = "/tasks/oom";
    /** {@code TaskPaused}: Pause succeeded. */
    public static final String TASK_PAUSED = "/tasks/paused";
    /** {@code TaskResumed}: Resume succeeded. */
    public static final String TASK_RESUMED = "/tasks/resumed";
    /** {@code TaskCheckpointed}: never sent by the runc shim (1.6 to 2.0); listed for completeness. */
    public static final String TASK_CHECKPOINTED = "/tasks/checkpointed";
}
