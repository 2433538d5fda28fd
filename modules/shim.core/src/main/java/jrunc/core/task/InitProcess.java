package jrunc.core.task;

import jrunc.core.stdio.Stdio;

/** The container's first process: made by {@code runc create}, started by {@code runc start}. */
final class InitProcess extends Process {
    InitProcess(Container container, Stdio stdio) {
        super(container, stdio);
    }

    @Override
    String id() {
        return container().id();
    }

    @Override
    String execId() {
        return "";
    }
}
