package jrunc.core.spi;

import java.io.IOException;
import java.time.Duration;

/**
 * One connection over a Unix stream socket that can carry a descriptor (SCM_RIGHTS) with its bytes: how
 * {@code start} hands its bound listener to a warm spare daemon ({@code jrunc.core.manager.SpareHandoff}). The
 * JDK's Unix channels can neither send nor receive descriptors, nor say the peer's pid, so this is raw.
 *
 * <p>Every exchange is one frame: a 4-byte big-endian length and that many bytes. Each call takes a deadline and
 * throws {@link java.net.SocketTimeoutException} when it passes, {@link java.io.EOFException} when the other end
 * has closed; neither end can hold the other.
 */
public interface HandoffConnection extends AutoCloseable {
    /** SO_PEERCRED: the process at the other end (for a client: the one that called listen), its uid and gid. */
    record Peer(int pid, int uid, int gid) {}

    /**
     * A frame received, and the descriptor that came with it, or -1. The receiver owns the descriptor (close-on-exec)
     * and must close it or hand it on.
     */
    record Frame(byte[] data, int fd) {}

    Peer peer() throws IOException;

    /** Sends one frame, with {@code fd} (or none, when -1) attached to its first byte. */
    void send(byte[] data, int fd, Duration timeout) throws IOException;

    /**
     * Receives one frame of at most {@code maxBytes}. A frame that brings more than one descriptor, or one over
     * {@code maxBytes}, is refused with an IOException, every descriptor that came with it closed.
     */
    Frame receive(int maxBytes, Duration timeout) throws IOException;

    @Override
    void close();
}
