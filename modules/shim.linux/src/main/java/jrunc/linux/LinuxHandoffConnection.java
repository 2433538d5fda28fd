package jrunc.linux;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.HandoffConnection;
import jrunc.linux.ffi.Constants;
import jrunc.linux.ffi.Handoff;
import jrunc.linux.ffi.Libc;
import jrunc.linux.ffi.SockaddrUn;
import jrunc.linux.ffi.Terminal;
import jrunc.linux.ffi.UnixSocket;

/**
 * {@link HandoffConnection} on a raw Unix stream socket: frames of a 4-byte length and their bytes, the descriptor
 * (if any) on the frame's first bytes. Deadlines are the socket's SO_SNDTIMEO/SO_RCVTIMEO, set before each call,
 * so a blocked call returns EAGAIN once its deadline passes. A frame is read to exactly its length, never into the
 * next one.
 */
final class LinuxHandoffConnection implements HandoffConnection {
    /** Received at most this much per recvmsg (the buffer is native and allocated per call). */
    private static final int CHUNK = 256 * 1024;

    private final int fd;
    private boolean closed; // guarded by this

    private LinuxHandoffConnection(int fd) {
        this.fd = fd;
    }

    static LinuxHandoffConnection connect(Path path, Duration timeout) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length > SockaddrUn.MAX_PATH_BYTES) {
            throw new ErrnoException("connect", Constants.ENAMETOOLONG, "socket path is too long: " + path);
        }
        int fd = UnixSocket.streamSocket();
        try {
            // a full backlog makes connect block: SO_SNDTIMEO bounds it
            Handoff.setTimeouts(fd, timeout.toMillis());
            Terminal.connect(fd, name);
            return new LinuxHandoffConnection(fd);
        } catch (IOException | RuntimeException e) {
            closeQuietly(fd);
            throw e;
        }
    }

    /** Null when no connection came within {@code timeout}. */
    static LinuxHandoffConnection accept(int listener, Duration timeout, Runnable beforeAccept) throws IOException {
        if (!Terminal.awaitReadable(listener, (int) Math.min(Integer.MAX_VALUE, Math.max(0, timeout.toMillis())))) {
            return null;
        }
        beforeAccept.run();
        int fd;
        try {
            fd = Terminal.accept(listener);
        } catch (ErrnoException e) {
            // the client left between poll and accept
            if (e.errno() == ErrnoException.EAGAIN || e.errno() == 103 /* ECONNABORTED */) return null;
            throw e;
        }
        return new LinuxHandoffConnection(fd);
    }

    @Override
    public Peer peer() throws IOException {
        int[] cred = Handoff.peerCredentials(fd);
        return new Peer(cred[0], cred[1], cred[2]);
    }

    @Override
    public void send(byte[] data, int passFd, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] frame = ByteBuffer.allocate(4 + data.length).putInt(data.length).put(data).array();
        int sent = 0;
        while (sent < frame.length) {
            Handoff.setTimeouts(fd, leftMillis(deadline));
            try {
                sent += (int) Handoff.send(fd, frame, sent, frame.length, sent == 0 ? passFd : -1);
            } catch (ErrnoException e) {
                if (e.errno() == ErrnoException.EAGAIN) throw new SocketTimeoutException("hand-off: send timed out");
                if (e.errno() == ErrnoException.EPIPE || e.errno() == 104 /* ECONNRESET */) {
                    throw new EOFException("hand-off: the other end has closed");
                }
                throw e;
            }
        }
    }

    @Override
    public Frame receive(int maxBytes, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int[] fdHolder = {-1};
        try {
            byte[] header = readExactly(4, deadline, fdHolder);
            int length = ByteBuffer.wrap(header).getInt();
            if (length < 0 || length > maxBytes) throw new IOException("hand-off: a frame of " + length + " bytes");
            byte[] data = readExactly(length, deadline, fdHolder);
            Frame frame = new Frame(data, fdHolder[0]);
            fdHolder[0] = -1;
            return frame;
        } finally {
            if (fdHolder[0] >= 0) closeQuietly(fdHolder[0]);
        }
    }

    private byte[] readExactly(int n, long deadline, int[] fdHolder) throws IOException {
        byte[] out = new byte[n];
        int got = 0;
        while (got < n) {
            if (leftMillis(deadline) <= 0 || !Terminal.awaitReadable(fd, (int) leftMillis(deadline))) {
                throw new SocketTimeoutException("hand-off: no answer in time");
            }
            Terminal.Received r;
            try {
                r = Terminal.receiveFds(fd, Math.min(n - got, CHUNK));
            } catch (ErrnoException e) {
                if (e.errno() == 104 /* ECONNRESET */) throw new EOFException("hand-off: the other end has gone");
                if (e.errno() == ErrnoException.EAGAIN) continue;
                throw e;
            }
            for (int passed : r.fds()) {
                if (fdHolder[0] < 0 && !r.truncated()) {
                    fdHolder[0] = passed;
                } else {
                    closeQuietly(passed);
                    throw new IOException("hand-off: more than one descriptor came");
                }
            }
            if (r.truncated()) throw new IOException("hand-off: control data truncated");
            if (r.data().length == 0) throw new EOFException("hand-off: the other end has closed");
            System.arraycopy(r.data(), 0, out, got, r.data().length);
            got += r.data().length;
        }
        return out;
    }

    private static long leftMillis(long deadline) {
        return Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        closeQuietly(fd);
    }

    private static void closeQuietly(int fd) {
        try {
            Libc.close(fd);
        } catch (ErrnoException ignored) {
            // nothing to do
        }
    }
}
