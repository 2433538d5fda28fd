package jrunc.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.util.List;
import jrunc.core.manager.ShimFlags;

/**
 * {@code containerd-shim-jrunc-v2}: containerd runs it as {@code [flags] start}, {@code [flags] delete}, and
 * {@code start} runs it again with no action word to serve. Every mode keeps stdout for containerd alone: {@code
 * start} prints only the socket address, {@code delete} only the raw DeleteResponse bytes.
 */
public final class ShimMain {
    static final String VERSION = ShimMain.class.getModule().getDescriptor() != null
            && ShimMain.class.getModule().getDescriptor().rawVersion().isPresent()
            ? ShimMain.class.getModule().getDescriptor().rawVersion().get() : "0.1.0";
    static final String RUNTIME_NAME = "io.containerd.jrunc.v2";

    private ShimMain() {}

    public static void main(String[] args) {
        PrintStream stdout = new PrintStream(new FileOutputStream(FileDescriptor.out), false);
        ShimFlags flags;
        try {
            flags = ShimFlags.parse(List.of(args));
            if (flags.version()) {
                stdout.println("containerd-shim-jrunc-v2:\n  Version:  " + VERSION + "\n  Runtime:  " + RUNTIME_NAME
                        + "\n  Java:     " + Runtime.version());
                stdout.flush();
                System.exit(0);
            }
            if (flags.info()) {
                System.exit(InfoCommand.run(System.in, stdout, System.err));
            }
            flags.requireNamespace();
        } catch (IllegalArgumentException e) {
            System.err.println("containerd-shim-jrunc-v2: " + e.getMessage());
            System.err.println("usage: containerd-shim-jrunc-v2 -namespace NS -id ID -address ADDR [-debug] [-bundle DIR] [-socket PATH] [start|delete], or -info, or -v");
            System.exit(2);
            return;
        }
        int code;
        if (flags.spare()) {
            code = new SpareCommand(flags).run();
        } else if (flags.isStart()) {
            code = new StartCommand(flags).run(stdout);
        } else if (flags.isDelete()) {
            code = new DeleteCommand(flags).run(stdout);
        } else {
            code = new ServeCommand(flags).run();
        }
        stdout.flush();
        System.exit(code);
    }
}
