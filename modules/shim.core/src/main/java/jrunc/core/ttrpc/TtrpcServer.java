package jrunc.core.ttrpc;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.function.IntConsumer;
import java.util.function.Predicate;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * A unary ttrpc server on a Unix-domain listener: the shim's side of containerd's connections. Mirrors ttrpc's
 * {@code server.go} (v1.1.1): one reader per connection, each request handled concurrently, one writer.
 *
 * <p>Threads: the accept loop, each connection's reader and each call's handler run on virtual threads, so an idle
 * shim with a few connections costs no platform threads (many shims run per node). The listener may be the one
 * {@code start} handed over as fd 3 and turned back into a channel by {@link System#inheritedChannel()}.
 *
 * <p>A connection that closes never stops the server: containerd reconnects after its own restart (ttrpc v1.1.1
 * server.go, serverConn.run).
 */
public final class TtrpcServer implements AutoCloseable {
    private static final Logger LOG = System.getLogger(TtrpcServer.class.getName());
    private static final Duration MAX_ACCEPT_BACKOFF = Duration.ofSeconds(1);
    private static final Duration ACCEPTOR_EXIT = Duration.ofSeconds(2);

    private final ServerSocketChannel listener;
    private final ServiceRegistry registry;
    private final Predicate<UnixDomainPrincipal> peerCheck;
    /** The virtual threads this server runs, alive: the JDK lists only platform threads, a thread dump needs these. */
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final ThreadFactory connectionThreads = tracked(Thread.ofVirtual().name("ttrpc-connection-", 1).factory());
    /** One virtual thread per call; nothing to shut down, so a late deadline timer never meets a closed executor. */
    private final ThreadFactory handlerThreads = tracked(Thread.ofVirtual().name("ttrpc-handler").factory());
    private final Executor handlers = task -> handlerThreads.newThread(task).start();
    private final Set<ServerConnection> connections = ConcurrentHashMap.newKeySet();
    private final List<IntConsumer> closedListeners = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private Thread acceptor;

    /**
     * @param listener  a bound, listening Unix-domain channel; the server owns it from now on and closes it
     * @param registry  the services to dispatch to
     * @param peerCheck decides from the peer's {@code SO_PEERCRED} uid and gid whether a connection is served; the
     *                  shim admits only its own effective uid and gid, as containerd's shim does (containerd v1.6.20
     * runtime/v2/shim/shim_linux.go)
     */
    public TtrpcServer(ServerSocketChannel listener, ServiceRegistry registry, Predicate<UnixDomainPrincipal> peerCheck) {
        this.listener = Objects.requireNonNull(listener, "listener");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.peerCheck = Objects.requireNonNull(peerCheck, "peerCheck");
    }

    /** Starts accepting connections; returns at once. */
    public synchronized TtrpcServer start() throws IOException {
        if (acceptor != null) throw new IllegalStateException("ttrpc server already started");
        if (closed) throw new ClosedChannelException();
        listener.configureBlocking(true);
        acceptor = tracked(Thread.ofVirtual().name("ttrpc-accept").factory()).newThread(this::acceptLoop);
        acceptor.start();
        return this;
    }

    /** The virtual threads of this server still running (accept loop, connections, calls), for a thread dump. */
    public List<Thread> threads() {
        return List.copyOf(threads);
    }

    /** Threads from {@code factory} that are listed in {@link #threads} while they run. */
    private ThreadFactory tracked(ThreadFactory factory) {
        return task -> {
            Thread[] self = new Thread[1];
            self[0] = factory.newThread(() -> {
                try {
                    task.run();
                } finally {
                    threads.remove(self[0]);
                }
            });
            threads.add(self[0]);
            return self[0];
        };
    }

    /** Connections currently open. */
    public int connectionCount() {
        return connections.size();
    }

    /** Calls {@code listener} with the number of connections left each time one closes (peer gone or refused). */
    public void onConnectionClosed(IntConsumer listener) {
        closedListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Stops accepting and closes every connection. Handlers still running finish on their own; their responses are
     * dropped. Does not remove the socket file: that is the shim's shutdown sequence's job (containerd v1.6.20
     * runtime/v2/shim/shim.go, run).
     */
    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "close ttrpc listener: {0}", e.toString());
        }
        // A channel closed while a thread is blocked in accept() releases its fd only when that thread leaves accept:
        // until then the kernel still queues connections. Wait for the accept loop, so that once close() returns
        // nothing more is accepted.
        Thread loop;
        synchronized (this) {
            loop = acceptor;
        }
        if (loop != null && loop != Thread.currentThread()) {
            try {
                loop.join(ACCEPTOR_EXIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (ServerConnection connection : connections) connection.close();
    }

    private void acceptLoop() {
        long backoffMillis = 0;
        while (!closed) {
            SocketChannel channel;
            try {
                channel = listener.accept();
                backoffMillis = 0;
            } catch (ClosedChannelException e) {
                break;
            } catch (IOException e) {
                if (closed) break;
                // e.g. EMFILE: back off instead of spinning, as Go's net/http and ttrpc servers do.
                backoffMillis = Math.min(backoffMillis == 0 ? 5 : backoffMillis * 2, MAX_ACCEPT_BACKOFF.toMillis());
                LOG.log(Level.WARNING, "ttrpc accept failed, retrying in " + backoffMillis + " ms: " + e);
                if (!pause(backoffMillis)) break;
                continue;
            }
            admit(channel);
        }
        LOG.log(Level.DEBUG, "ttrpc server stopped accepting");
    }

    private void admit(SocketChannel channel) {
        UnixDomainPrincipal peer;
        try {
            peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.log(Level.WARNING, "ttrpc peer credentials unavailable, closing connection: " + e);
            closeQuietly(channel);
            return;
        }
        if (!peerCheck.test(peer)) {
            LOG.log(Level.WARNING, "ttrpc peer refused: user " + peer.user().getName() + " group " + peer.group().getName());
            closeQuietly(channel);
            return;
        }
        ServerConnection connection = new ServerConnection(channel, registry, handlers, this::connectionClosed);
        connections.add(connection);
        if (closed) {
            // close() may have walked the set before this connection joined it.
            connection.close();
            return;
        }
        connectionThreads.newThread(connection).start();
    }

    private void connectionClosed(ServerConnection connection) {
        if (!connections.remove(connection)) return;
        int remaining = connections.size();
        for (IntConsumer listener : closedListeners) {
            try {
                listener.accept(remaining);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "ttrpc connection-closed listener failed: " + e, e);
            }
        }
    }

    private static boolean pause(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void closeQuietly(SocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "close refused ttrpc connection: {0}", e.toString());
        }
    }
}
