package jrunc.core.manager;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import jrunc.core.manager.SpareFaults.Step;
import jrunc.core.manager.SpareProtocol.Answer;
import jrunc.core.manager.SpareProtocol.Kind;
import jrunc.core.manager.SpareProtocol.Request;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.HandoffConnection;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.Signals;

/**
 * Both ends of the hand-off of a task's bound listener to a warm spare daemon ({@link SpareProtocol}): {@link #offer},
 * {@code start}'s, and {@link #answer}, the spare's. The rule they keep between them: at every moment at most one
 * process may serve the task's socket. {@code start} falls back to spawning a daemon only when the spare has not
 * been told GO, or has been proven dead (SIGKILL through a pidfd, then its exit seen on that pidfd); otherwise it
 * fails, and containerd retries.
 */
public final class SpareHandoff {
    /**
     * @param ready  how long a spare may take to accept, read the request and say READY (or a client its GO and DONE)
     * @param result how long its adoption may take once it has GO (the shim cgroup, the OOM score, the log)
     * @param death  how long a SIGKILLed spare may take to be gone
     */
    public record Timeouts(Duration ready, Duration result, Duration death) {
        public static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(10),
                Duration.ofSeconds(10));
    }

    private SpareHandoff() {}

    // --- start's end ----------------------------------------------------------------------------------------

    /** What came of an {@link #offer}. */
    public sealed interface Outcome {
        /** The spare (pid) is the task's daemon: print the address, then {@link Offer#done}. */
        record Adopted(int pid) implements Outcome {}

        /**
         * The spare did not take the task, and holds the listener no more (it never was told GO, or it is dead):
         * start spawns the daemon itself.
         *
         * @param spareThere a spare answered (busy, another key, too slow, dead now): no new one is to be booted
         */
        record NotTaken(String why, boolean spareThere) implements Outcome {}
    }

    /** An offer made: its outcome, and, when adopted, the connection DONE goes on. */
    public static final class Offer implements AutoCloseable {
        private final Outcome outcome;
        private final HandoffConnection connection;
        private final Timeouts timeouts;

        private Offer(Outcome outcome, HandoffConnection connection, Timeouts timeouts) {
            this.outcome = outcome;
            this.connection = connection;
            this.timeouts = timeouts;
        }

        public Outcome outcome() {
            return outcome;
        }

        /** Tells the adopted spare that containerd has its address: it serves from now on. */
        public void done() throws IOException {
            if (connection == null) throw new IllegalStateException("no spare adopted this task");
            connection.send(Answer.of(Kind.DONE).encode(), -1, timeouts.ready());
        }

        @Override
        public void close() {
            if (connection != null) connection.close();
        }
    }

    /**
     * Offers {@code request}, with the task's listener {@code listener}, to the spare on {@code rendezvous}. The
     * listener stays open here whatever comes of it (closed by the caller once the daemon has it).
     *
     * @throws IOException the spare was told GO, did not answer, and could not be proven dead: nobody may serve
     *                     the socket from here, and start fails
     */
    public static Offer offer(OperatingSystem os, Path rendezvous, Request request, int listener, Timeouts timeouts,
                              SpareFaults faults) throws IOException {
        HandoffConnection c;
        try {
            c = os.connectHandoff(rendezvous, timeouts.ready());
        } catch (IOException | RuntimeException e) {
            return new Offer(new Outcome.NotTaken("no spare on " + rendezvous + ": " + e.getMessage(), false), null, timeouts);
        }
        int pidfd = -1;
        int peerPid = -1;
        boolean told = false;
        try {
            HandoffConnection.Peer peer = c.peer();
            peerPid = peer.pid();
            if (peer.uid() != 0 && peer.uid() != os.euid()) {
                c.close();
                return notTaken(rendezvous + " is served by uid " + peer.uid(), timeouts);
            }
            // Opened before READY can come: READY then proves the process this names is the spare (a process
            // that answered after the pidfd was opened was alive when it was opened).
            pidfd = os.pidfdOpen(peer.pid());
            c.send(SpareProtocol.encode(request), listener, timeouts.ready());
            Answer ready = Answer.decode(c.receive(SpareProtocol.MAX_ANSWER, timeouts.ready()).data());
            if (ready.kind() != Kind.READY) {
                c.close();
                return notTaken("the spare refused: " + ready.reason(), timeouts);
            }
            faults.at(Step.START_BEFORE_GO);
            told = true;
            c.send(Answer.of(Kind.GO).encode(), -1, timeouts.ready());
            faults.at(Step.START_AFTER_GO);
            Answer result = Answer.decode(c.receive(SpareProtocol.MAX_ANSWER, timeouts.result()).data());
            if (result.kind() == Kind.ADOPTED) return new Offer(new Outcome.Adopted(peer.pid()), c, timeouts);
            return new Offer(endSpare(os, pidfd, peer.pid(), "it failed: " + result.reason(), timeouts), null, timeouts);
        } catch (IOException | RuntimeException e) {
            if (!told) {
                c.close();
                return notTaken("the spare did not take the task: " + e.getMessage(), timeouts);
            }
            c.close();
            return new Offer(endSpare(os, pidfd, peerPid, String.valueOf(e.getMessage()), timeouts), null, timeouts);
        } finally {
            if (pidfd >= 0) os.close(pidfd);
        }
    }

    private static Offer notTaken(String why, Timeouts timeouts) {
        return new Offer(new Outcome.NotTaken(why, true), null, timeouts);
    }

    /** After GO without ADOPTED: the spare may hold the listener, so it dies before anyone else serves it. */
    private static Outcome endSpare(OperatingSystem os, int pidfd, int pid, String why, Timeouts timeouts)
            throws IOException {
        if (pidfd < 0) throw new IOException("the spare was told GO and then " + why + "; it cannot be stopped");
        try {
            os.pidfdSendSignal(pidfd, Signals.SIGKILL);
        } catch (ErrnoException e) {
            if (e.errno() != ErrnoException.ESRCH) throw e;
        }
        if (!os.awaitExit(pidfd, timeouts.death())) {
            throw new IOException("the spare (pid " + pid + ") was told GO and then " + why
                    + "; SIGKILLed, it is still there after " + timeouts.death().toSeconds() + " s");
        }
        return new Outcome.NotTaken("the spare (pid " + pid + ") was told GO and then " + why + "; it is dead", true);
    }

    // --- the spare's end ------------------------------------------------------------------------------------

    /** What the spare does with a task once it has GO. */
    @FunctionalInterface
    public interface Adopter {
        /** Becomes the task's daemon for {@code listener} (now its own). Throws when it could not. */
        void adopt(Request request, int listener) throws IOException;
    }

    /** What an {@link #answer} came to. */
    public enum Answered {
        /** Nothing was taken (refused, a client that gave up or was not one of ours): still a spare. */
        STILL_SPARE,
        /** Adopted, and start printed the address: serve. */
        SERVE,
        /** Adoption failed, or start died before it printed the address: the listener is let go, the spare ends. */
        END
    }

    /**
     * Answers one connection on the rendezvous socket. {@code taken} is set for as long as this connection holds the
     * spare (so a second start is refused, not queued). The listener is closed here unless adopted.
     */
    public static Answered answer(OperatingSystem os, HandoffConnection c, SpareKey own, AtomicBoolean taken,
                                  Adopter adopter, Timeouts timeouts, SpareFaults faults) {
        HandoffConnection.Frame first;
        Request request;
        try {
            HandoffConnection.Peer peer = c.peer();
            if (peer.uid() != 0 && peer.uid() != os.euid()) return Answered.STILL_SPARE;
            first = c.receive(SpareProtocol.MAX_REQUEST, timeouts.ready());
        } catch (IOException | RuntimeException e) {
            return Answered.STILL_SPARE;
        }
        int listener = first.fd();
        faults.at(Step.SPARE_AFTER_FD);
        try {
            request = SpareProtocol.decodeRequest(first.data());
        } catch (IOException e) {
            refuse(os, c, listener, null, "unreadable request: " + e.getMessage(), timeouts);
            return Answered.STILL_SPARE;
        }
        String refusal = refusal(os, own, request, listener);
        if (refusal == null && !taken.compareAndSet(false, true)) refusal = "this spare is taken by another start";
        if (refusal != null) {
            refuse(os, c, listener, null, refusal, timeouts);
            return Answered.STILL_SPARE;
        }
        try {
            c.send(Answer.of(Kind.READY).encode(), -1, timeouts.ready());
            Answer go = Answer.decode(c.receive(SpareProtocol.MAX_ANSWER, timeouts.ready()).data());
            if (go.kind() != Kind.GO) throw new IOException("expected GO, got " + go.kind());
        } catch (IOException | RuntimeException e) {
            // start gave up (and spawns a daemon with its listener) or died: not ours to serve
            letGo(os, listener, request.socket());
            taken.set(false);
            return Answered.STILL_SPARE;
        }
        try {
            adopter.adopt(request, listener);
        } catch (IOException | RuntimeException e) {
            refuse(os, c, listener, request.socket(), "adopting " + request.id() + ": " + e.getMessage(), timeouts);
            return Answered.END;
        }
        faults.at(Step.SPARE_BEFORE_ANSWER);
        try {
            c.send(Answer.of(Kind.ADOPTED).encode(), -1, timeouts.ready());
            Answer done = Answer.decode(c.receive(SpareProtocol.MAX_ANSWER, timeouts.result()).data());
            if (done.kind() != Kind.DONE) throw new IOException("expected DONE, got " + done.kind());
            return Answered.SERVE;
        } catch (IOException | RuntimeException e) {
            // start died before containerd had the address: containerd deletes the bundle, nobody will dial us
            letGo(os, listener, request.socket());
            return Answered.END;
        }
    }

    /** Why a spare of key {@code own} does not take {@code r} with {@code listener}, or null. */
    static String refusal(OperatingSystem os, SpareKey own, Request r, int listener) {
        if (listener < 0) return "no listener came with the request";
        if (!r.key().equals(own)) return "a spare of another key (" + own.hash() + ", asked " + r.key().hash() + ")";
        if (!Names.isIdentifier(r.id())) return "not a task id: " + r.id();
        if (!r.bundle().isAbsolute() || !r.socket().isAbsolute()) return "paths must be absolute";
        try {
            Path bound = os.boundPath(listener);
            if (!bound.equals(r.socket())) return "the listener is bound to " + bound + ", not " + r.socket();
        } catch (IOException | RuntimeException e) {
            return "the descriptor is not a bound Unix socket: " + e.getMessage();
        }
        return null;
    }

    private static void refuse(OperatingSystem os, HandoffConnection c, int listener, Path socket, String why,
                               Timeouts timeouts) {
        if (socket == null) {
            if (listener >= 0) os.close(listener);
        } else {
            letGo(os, listener, socket);
        }
        try {
            c.send(new Answer(socket == null ? Kind.REFUSED : Kind.FAILED, why).encode(), -1, timeouts.ready());
        } catch (IOException | RuntimeException e) {
            // start has gone: it decides without us
        }
    }

    /**
     * Closes the listener and, if that leaves the task's socket served by nobody (start is dead and no daemon has
     * it), removes the socket file, with the proof {@code delete} uses ({@link ShimSocket#removeIfRefusing}).
     */
    static void letGo(OperatingSystem os, int listener, Path socket) {
        os.close(listener);
        new ShimSocket(os).removeIfRefusing(socket);
    }
}
