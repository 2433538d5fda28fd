package jrunc.core.spi;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A console socket for {@code runc create/exec --console-socket}: a listening Unix socket in a private temporary
 * directory. runc connects once and sends the pty master it made for the container as one SCM_RIGHTS descriptor
 * (the message's data is the pty's name). Mirrors go-runc's {@code NewTempConsoleSocket}.
 */
public interface ConsoleSocket extends AutoCloseable {
    /** The socket to pass to runc. */
    Path path();

    /**
     * Accepts runc's one connection and receives the pty master from it, within {@code limit}. The fd returned is
     * close-on-exec and belongs to the caller. A message with no descriptor, or more than one, is refused (any fds
     * in it are closed) with an IOException; a timeout is an IOException too.
     */
    int receiveMaster(Duration limit) throws IOException;

    /** Stops listening and removes the socket and its directory. Idempotent; never fails. */
    @Override
    void close();
}
