package jrunc.linux;

import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * Runs in a child JVM for {@link UnixListenerTest}, the way the shim daemon starts: its listening socket on fd 3.
 * Takes fd 3 over as a JDK channel, answers one connection with its pid, then moves stderr to fd 4 and writes a
 * line there. (Both dup2 over the JVM's own stdin and stderr, which must never happen in the surefire JVM.)
 */
public final class InheritedListenerChild {
    private InheritedListenerChild() {}

    public static void main(String[] args) throws Exception {
        LinuxOperatingSystem os = new LinuxOperatingSystem();
        ServerSocketChannel listener = os.inheritedListener(3);
        try (SocketChannel connection = listener.accept()) {
            connection.write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)));
        }
        os.redirectStderr(4);
        System.err.println("stderr now goes to fd 4");
        System.err.flush();
    }
}
