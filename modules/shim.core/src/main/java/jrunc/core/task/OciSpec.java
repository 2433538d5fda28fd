package jrunc.core.task;

import java.io.IOException;
import java.nio.file.Path;
import jrunc.core.manager.BundleReader;
import jrunc.core.manager.BundleSpec;
import jrunc.core.spi.OperatingSystem;

/** What the Task service needs from the bundle's {@code config.json}, through the shared {@link BundleReader}. */
final class OciSpec {
    private OciSpec() {}

    /**
     * {@link BundleSpec#shouldKillAllOnExit()}; an unreadable spec answers true, as containerd's
     * {@code ShouldKillAllOnExit} ({@code pkg/process/utils.go}, v1.6.20) does.
     */
    static boolean shouldKillAllOnExit(OperatingSystem os, Path bundle) {
        try {
            return new BundleReader(os).spec(bundle).shouldKillAllOnExit();
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * The spec's {@code linux.cgroupsPath}, which runc created the container's cgroup from: {@code /<ns>/<id>} from
     * ctr, {@code slice:prefix:name} with the systemd driver, or nothing. Stats reads the cgroup there. "" when the
     * spec has none or cannot be read (the init's pid then locates the cgroup).
     */
    static String cgroupsPath(OperatingSystem os, Path bundle) {
        try {
            return new BundleReader(os).spec(bundle).cgroupsPath();
        } catch (IOException e) {
            return "";
        }
    }
}
