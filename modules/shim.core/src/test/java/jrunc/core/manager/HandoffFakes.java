package jrunc.core.manager;

import java.io.EOFException;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jrunc.core.manager.SpareProtocol.Answer;
import jrunc.core.manager.SpareProtocol.Kind;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.HandoffConnection;
import jrunc.core.spi.OperatingSystem;

/** A scripted rendezvous connection and the few system calls of the hand-off, for {@link SpareHandoffTest}. */
final class HandoffFakes {
    private HandoffFakes() {}

    static final SpareKey KEY = new SpareKey("/opt/jrunc/bin/containerd-shim-jrunc-v2", "image-1", "/run/ctd.sock",
            "default", false, new TreeMap<>(Map.of("TTRPC_ADDRESS", "/run/ctd.sock.ttrpc")));
    static final Path SOCKET = Path.of("/tmp/not-the-socket-dir/abc");

    static SpareProtocol.Request request(SpareKey key) {
        return new SpareProtocol.Request(key, "task-1", Path.of("/run/ctd/bundle/task-1"), SOCKET, new byte[] {1, 2},
                4242, false);
    }

    static HandoffConnection.Frame frame(Kind kind) {
        return new HandoffConnection.Frame(Answer.of(kind).encode(), -1);
    }

    /** One end of a connection: what the other end will send, in order (a frame or an exception), and what we sent. */
    static final class Connection implements HandoffConnection {
        final Deque<Object> incoming = new ArrayDeque<>();
        final List<Frame> sent = new ArrayList<>();
        Peer peer = new Peer(777, 0, 0);
        boolean closed;

        Connection then(Object frameOrException) {
            incoming.add(frameOrException);
            return this;
        }

        List<Kind> sentKinds() throws IOException {
            List<Kind> kinds = new ArrayList<>();
            for (Frame f : sent) kinds.add(f.data().length > 0 && f.data()[0] < Kind.values().length && f.fd() < 0
                    ? Answer.decode(f.data()).kind() : null);
            return kinds;
        }

        @Override
        public Peer peer() {
            return peer;
        }

        @Override
        public void send(byte[] data, int fd, Duration timeout) throws IOException {
            if (closed) throw new EOFException("closed");
            sent.add(new Frame(data, fd));
        }

        @Override
        public Frame receive(int maxBytes, Duration timeout) throws IOException {
            Object next = incoming.poll();
            if (next == null) throw new SocketTimeoutException("nothing scripted");
            if (next instanceof IOException e) throw e;
            return (Frame) next;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** The kernel of the hand-off: a connect that gives {@link #connection} (or fails), pidfds, signals, closes. */
    static final class Kernel {
        Connection connection;
        IOException connectFailure;
        Path boundPath = SOCKET;
        int euid = 0;
        /** Whether a SIGKILLed peer is seen to exit. */
        boolean dies = true;
        final List<Integer> closedFds = new ArrayList<>();
        final List<String> signals = new ArrayList<>();

        OperatingSystem os() {
            return (OperatingSystem) Proxy.newProxyInstance(OperatingSystem.class.getClassLoader(),
                    new Class<?>[] {OperatingSystem.class}, (proxy, method, args) -> switch (method.getName()) {
                        case "connectHandoff" -> {
                            if (connectFailure != null) throw connectFailure;
                            yield connection;
                        }
                        case "pidfdOpen" -> 900 + (int) args[0] % 10;
                        case "pidfdSendSignal" -> {
                            signals.add("pidfd " + args[0] + " signal " + args[1]);
                            yield null;
                        }
                        case "awaitExit" -> dies;
                        case "close" -> {
                            closedFds.add((Integer) args[0]);
                            yield null;
                        }
                        case "euid" -> euid;
                        case "pid" -> 55;
                        case "boundPath" -> {
                            if (boundPath == null) throw new ErrnoException("getsockname", ErrnoException.EINVAL, null);
                            yield boundPath;
                        }
                        case "kill" -> {
                            signals.add("kill " + args[0] + " signal " + args[1]);
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> "handoff kernel";
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
        }
    }
}
