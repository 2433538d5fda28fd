package jrunc.cli;

import jrunc.core.manager.ShimFlags;

/** Serve mode: the long-lived daemon. (Filled in with the ttrpc server.) */
final class ServeCommand {
    private final ShimFlags flags;

    ServeCommand(ShimFlags flags) {
        this.flags = flags;
    }

    int run() {
        System.err.println("serve mode for " + flags.id() + " not built yet");
        return 1;
    }
}
