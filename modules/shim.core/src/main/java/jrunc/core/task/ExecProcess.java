package jrunc.core.task;

import java.nio.file.Path;
import jrunc.core.stdio.Stdio;
import jrunc.proto.types.Status;

/**
 * An additional process in a running container: recorded by Exec, made and started by {@code runc exec --detach}
 * at Start. Its OCI {@code Process} spec is kept as the JSON containerd sent, and handed to runc unchanged.
 */
final class ExecProcess extends Process {
    private final String execId;
    private final byte[] processSpecJson;
    private boolean starting; // guarded by container().lock(): runc exec is running, outside the lock

    ExecProcess(Container container, String execId, Stdio stdio, byte[] processSpecJson) {
        super(container, stdio);
        this.execId = execId;
        this.processSpecJson = processSpecJson.clone();
    }

    @Override
    String id() {
        return execId;
    }

    @Override
    String execId() {
        return execId;
    }

    byte[] processSpecJson() {
        return processSpecJson.clone();
    }

    /** Where {@code runc exec --pid-file} writes the pid: {@code <bundle>/<exec id>.pid}. */
    Path pidFile() {
        return container().bundle().resolve(execId + ".pid");
    }

    boolean starting() {
        container().assertLocked();
        return starting;
    }

    void starting(boolean value) {
        container().assertLocked();
        starting = value;
    }

    /** containerd's exec reports "paused" while its container is paused (execState follows the init's cgroup). */
    @Override
    Status status() {
        Status own = super.status();
        Status init = container().init().status();
        return own == Status.RUNNING && init == Status.PAUSED ? Status.PAUSED : own;
    }
}
