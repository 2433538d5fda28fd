package jrunc.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jrunc.core.doctor.MountInfo;
import jrunc.core.doctor.NodeSnapshot.Mount;
import jrunc.core.doctor.StopAction;
import jrunc.core.manager.StopResult;
import jrunc.core.spi.ErrnoException;

/**
 * A stand-in for {@code jrunc.core.manager.StopPath} until it lands, doing what the runc shim's {@code delete}
 * does (contract §1.9, §5.8) with the {@code runc} and {@code umount} binaries: {@code runc delete --force}, unmount
 * everything under rootfs deepest first, read {@code init.pid}. Each step is best effort and reported. It lives in
 * the doctor, not the shim, so running binaries with ProcessBuilder is fine here (no reaper of ours to fight).
 */
final class InterimStopPath implements StopAction {
    private static final Path DEFAULT_RUNC_ROOT = Path.of(DoctorCommand.DEFAULT_RUNC_ROOT);
    private static final int MNT_DETACH = 2;

    @Override
    public StopResult stop(Path bundle, String namespace, String id, Path runcRoot) throws IOException {
        List<StopResult.Step> steps = new ArrayList<>();
        Path root = (runcRoot != null ? runcRoot : rootFromOptions(bundle)).resolve(namespace);
        String runtime = runtimeOf(bundle);
        Result r = exec(List.of(runtime, "--root", root.toString(), "--log", bundle.resolve("log.json").toString(),
                "--log-format", "json", "delete", "--force", id));
        steps.add(new StopResult.Step("runc delete --force", id, r.ok(), r.output()));

        Path rootfs = bundle.resolve("rootfs");
        for (Mount m : MountInfo.under(MountInfo.parse(Files.readString(Path.of("/proc/self/mountinfo")), rootfs), rootfs)) {
            try {
                unmount(m.mountPoint(), 0);
                steps.add(new StopResult.Step("unmount", m.mountPoint().toString(), true, ""));
            } catch (IOException e) {
                steps.add(new StopResult.Step("unmount", m.mountPoint().toString(), false, e.getMessage()));
            }
        }

        int pid = 0;
        try {
            pid = Integer.parseInt(Files.readString(bundle.resolve("init.pid")).trim());
            steps.add(new StopResult.Step("read init.pid", bundle.resolve("init.pid").toString(), true, Integer.toString(pid)));
        } catch (IOException | NumberFormatException e) {
            // containerd-shim-runc-v2 logs a warning and answers pid 0; so do we.
            steps.add(new StopResult.Step("read init.pid", bundle.resolve("init.pid").toString(), true, "missing: pid 0"));
        }
        return new StopResult(pid, 137, Instant.now(), steps);
    }

    /** umount(8) standing in for umount2(2); its message is mapped back to the errno the Cleaner expects. */
    void unmount(Path target, int flags) throws IOException {
        List<String> argv = new ArrayList<>(List.of("umount"));
        if ((flags & MNT_DETACH) != 0) argv.add("-l");
        argv.add(target.toString());
        Result r = exec(argv);
        if (r.ok()) return;
        String msg = r.output();
        int errno = msg.contains("not mounted") ? ErrnoException.EINVAL
                : msg.contains("busy") ? ErrnoException.EBUSY
                : msg.contains("No such file") ? ErrnoException.ENOENT : ErrnoException.EIO;
        throw new ErrnoException("umount2", errno, target + ": " + msg);
    }

    /** options.json {@code root}, else runc's default (contract §1.9 step 4). */
    private static Path rootFromOptions(Path bundle) {
        try {
            JsonNode root = new ObjectMapper().readTree(Files.readString(bundle.resolve("options.json"))).path("root");
            return root.isTextual() && !root.asText().isEmpty() ? Path.of(root.asText()) : DEFAULT_RUNC_ROOT;
        } catch (IOException e) {
            return DEFAULT_RUNC_ROOT;
        }
    }

    /** The {@code runtime} file: empty or missing means "runc" (a missing file is tolerated, §5.8). */
    private static String runtimeOf(Path bundle) {
        try {
            String r = Files.readString(bundle.resolve("runtime"), StandardCharsets.UTF_8).trim();
            return r.isEmpty() ? "runc" : r;
        } catch (NoSuchFileException e) {
            return "runc";
        } catch (IOException e) {
            return "runc";
        }
    }

    private record Result(boolean ok, String output) {}

    private static Result exec(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(false, "timed out");
            }
            return new Result(p.exitValue() == 0, out.isEmpty() ? "exit " + p.exitValue() : out);
        } catch (IOException e) {
            return new Result(false, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(false, "interrupted");
        }
    }
}
