package jrunc.core.doctor;

import java.io.IOException;
import java.nio.file.Path;
import jrunc.core.manager.StopResult;

/**
 * The shim's Stop path as the doctor calls it: {@code runc delete --force}, unmount everything under rootfs
 * (deepest first), read {@code init.pid}. It has exactly the shape of {@code jrunc.core.manager.StopPath#stop}, so
 * the real one is wired in as {@code new StopPath(os)::stop}.
 */
@FunctionalInterface
public interface StopAction {
    /**
     * @param runcRoot runc's root without the namespace, or null to take it from the bundle's {@code options.json}
     */
    StopResult stop(Path bundle, String namespace, String id, Path runcRoot) throws IOException;
}
