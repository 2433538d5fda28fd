package jrunc.core.manager;

import static jrunc.core.manager.HandoffFakes.KEY;
import static jrunc.core.manager.HandoffFakes.frame;
import static jrunc.core.manager.HandoffFakes.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import jrunc.core.manager.HandoffFakes.Connection;
import jrunc.core.manager.HandoffFakes.Kernel;
import jrunc.core.manager.SpareHandoff.Answered;
import jrunc.core.manager.SpareHandoff.Outcome;
import jrunc.core.manager.SpareProtocol.Kind;
import jrunc.core.spi.ErrnoException;
import jrunc.core.spi.HandoffConnection;
import org.junit.jupiter.api.Test;

class SpareHandoffTest {
    private static final int LISTENER = 7;
    private final Kernel kernel = new Kernel();
    private final List<SpareFaults.Step> steps = new ArrayList<>();
    private final SpareFaults recording = steps::add;

    private SpareHandoff.Offer offer() throws IOException {
        return SpareHandoff.offer(kernel.os(), HandoffFakes.SOCKET, request(KEY), LISTENER,
                SpareHandoff.Timeouts.DEFAULT, recording);
    }

    // --- start's end ---

    @Test
    void noSpareListeningMeansStartSpawnsAndBootsOne() throws IOException {
        kernel.connectFailure = new ErrnoException("connect", ErrnoException.ECONNREFUSED, null);
        Outcome.NotTaken n = assertInstanceOf(Outcome.NotTaken.class, offer().outcome());
        assertFalse(n.spareThere(), "a refused rendezvous socket is no spare: start boots a new one");
        assertEquals(List.of(), kernel.signals);
    }

    @Test
    void theListenerGoesWithTheRequestAndAnAdoptionNeedsReadyGoAdopted() throws IOException {
        kernel.connection = new Connection().then(frame(Kind.READY)).then(frame(Kind.ADOPTED));
        try (SpareHandoff.Offer offer = offer()) {
            assertEquals(new Outcome.Adopted(777), offer.outcome());
            HandoffConnection.Frame first = kernel.connection.sent.getFirst();
            assertEquals(LISTENER, first.fd(), "the listener rides on the request");
            assertEquals(request(KEY), SpareProtocol.decodeRequest(first.data()));
            offer.done();
        }
        assertEquals(Kind.GO, kernel.connection.sentKinds().get(1));
        assertEquals(Kind.DONE, kernel.connection.sentKinds().get(2));
        assertEquals(List.of(), kernel.signals, "an adopting spare is not signalled");
        assertEquals(List.of(SpareFaults.Step.START_BEFORE_GO, SpareFaults.Step.START_AFTER_GO), steps);
    }

    @Test
    void aRefusalLeavesTheSpareAloneAndNoGoIsSent() throws IOException {
        kernel.connection = new Connection().then(new HandoffConnection.Frame(
                new SpareProtocol.Answer(Kind.REFUSED, "busy").encode(), -1));
        Outcome.NotTaken n = assertInstanceOf(Outcome.NotTaken.class, offer().outcome());
        assertTrue(n.spareThere(), "a spare is there: no second one is booted");
        assertTrue(n.why().contains("busy"), n.why());
        assertEquals(1, kernel.connection.sent.size(), "nothing but the request was sent");
        assertEquals(List.of(), kernel.signals);
    }

    @Test
    void aSpareThatDoesNotSayReadyInTimeIsNeverToldGo() throws IOException {
        kernel.connection = new Connection().then(new SocketTimeoutException("slow"));
        assertInstanceOf(Outcome.NotTaken.class, offer().outcome());
        assertEquals(1, kernel.connection.sent.size(), "GO after a timeout would let two processes serve");
        assertTrue(kernel.connection.closed);
        assertEquals(List.of(), kernel.signals, "a spare that was never told GO holds nothing to serve");
    }

    @Test
    void aSpareOfAnotherUserIsNotGivenTheListener() throws IOException {
        kernel.connection = new Connection();
        kernel.connection.peer = new HandoffConnection.Peer(777, 1000, 1000);
        assertInstanceOf(Outcome.NotTaken.class, offer().outcome());
        assertEquals(List.of(), kernel.connection.sent, "nothing, the listener least of all, goes to uid 1000");
    }

    @Test
    void aSpareThatFallsSilentAfterGoIsKilledAndSeenDeadBeforeStartSpawns() throws IOException {
        kernel.connection = new Connection().then(frame(Kind.READY)).then(new EOFException("gone"));
        Outcome.NotTaken n = assertInstanceOf(Outcome.NotTaken.class, offer().outcome());
        assertEquals(List.of("pidfd 907 signal 9"), kernel.signals, "SIGKILL through the pidfd of the peer (777)");
        assertTrue(n.why().contains("dead"), n.why());
        assertTrue(kernel.closedFds.contains(907), "the pidfd is closed");
    }

    @Test
    void aSpareThatFailsAfterGoIsKilledToo() throws IOException {
        kernel.connection = new Connection().then(frame(Kind.READY)).then(new HandoffConnection.Frame(
                new SpareProtocol.Answer(Kind.FAILED, "no bundle").encode(), -1));
        assertInstanceOf(Outcome.NotTaken.class, offer().outcome());
        assertEquals(List.of("pidfd 907 signal 9"), kernel.signals);
    }

    @Test
    void aSpareThatWillNotDieAfterGoFailsStartRatherThanServeTwice() {
        kernel.connection = new Connection().then(frame(Kind.READY)).then(new SocketTimeoutException("hung"));
        kernel.dies = false;
        IOException e = assertThrows(IOException.class, this::offer);
        assertTrue(e.getMessage().contains("still there"), e.getMessage());
    }

    // --- the spare's end ---

    private final AtomicBoolean taken = new AtomicBoolean();
    private final List<SpareProtocol.Request> adopted = new ArrayList<>();

    private Answered answer(Connection c, SpareHandoff.Adopter adopter) {
        return SpareHandoff.answer(kernel.os(), c, KEY, taken, adopter, SpareHandoff.Timeouts.DEFAULT, recording);
    }

    private Answered answer(Connection c) {
        return answer(c, (r, fd) -> adopted.add(r));
    }

    private static HandoffConnection.Frame requestFrame(SpareKey key, int fd) {
        return new HandoffConnection.Frame(SpareProtocol.encode(request(key)), fd);
    }

    @Test
    void aSpareServesOnlyOnceStartHasSaidDone() throws IOException {
        Connection c = new Connection().then(requestFrame(KEY, 31)).then(frame(Kind.GO)).then(frame(Kind.DONE));
        assertEquals(Answered.SERVE, answer(c));
        assertEquals(List.of(request(KEY)), adopted);
        assertEquals(List.of(Kind.READY, Kind.ADOPTED), c.sentKinds());
        assertFalse(kernel.closedFds.contains(31), "the listener is the daemon's now");
        assertEquals(List.of(SpareFaults.Step.SPARE_AFTER_FD, SpareFaults.Step.SPARE_BEFORE_ANSWER), steps);
    }

    @Test
    void aRequestOfAnotherKeyIsRefusedAndItsListenerClosed() throws IOException {
        SpareKey other = new SpareKey(KEY.binary(), "image-2", KEY.address(), KEY.namespace(), false, new TreeMap<>());
        Connection c = new Connection().then(requestFrame(other, 31));
        assertEquals(Answered.STILL_SPARE, answer(c));
        assertEquals(List.of(Kind.REFUSED), c.sentKinds());
        assertEquals(List.of(31), kernel.closedFds);
        assertEquals(List.of(), adopted);
        assertFalse(taken.get());
    }

    @Test
    void aListenerBoundElsewhereThanTheRequestSaysIsRefused() throws IOException {
        kernel.boundPath = java.nio.file.Path.of("/run/containerd/s/someone-else");
        Connection c = new Connection().then(requestFrame(KEY, 31));
        assertEquals(Answered.STILL_SPARE, answer(c));
        assertEquals(List.of(Kind.REFUSED), c.sentKinds());
        assertEquals(List.of(31), kernel.closedFds);
    }

    @Test
    void aRequestWithoutAListenerIsRefused() throws IOException {
        Connection c = new Connection().then(requestFrame(KEY, -1));
        assertEquals(Answered.STILL_SPARE, answer(c));
        assertEquals(List.of(Kind.REFUSED), c.sentKinds());
    }

    @Test
    void aSecondStartIsRefusedWhileTheFirstHoldsTheSpare() throws IOException {
        taken.set(true);
        Connection c = new Connection().then(requestFrame(KEY, 31));
        assertEquals(Answered.STILL_SPARE, answer(c));
        assertEquals(List.of(Kind.REFUSED), c.sentKinds());
        assertTrue(taken.get(), "the first start still holds it");
    }

    @Test
    void withoutGoTheListenerIsLetGoAndTheSpareStaysASpare() throws IOException {
        Connection c = new Connection().then(requestFrame(KEY, 31)).then(new EOFException("start died"));
        assertEquals(Answered.STILL_SPARE, answer(c));
        assertEquals(List.of(), adopted, "nothing done behind the back of a start that gave up");
        assertEquals(List.of(31), kernel.closedFds);
        assertFalse(taken.get(), "free for the next start");
    }

    @Test
    void garbageFromAProbeOrAStrangerChangesNothing() throws IOException {
        Connection c = new Connection().then(new HandoffConnection.Frame(new byte[] {1, 2, 3}, -1));
        assertEquals(Answered.STILL_SPARE, answer(c));
        assertEquals(List.of(Kind.REFUSED), c.sentKinds());
        assertEquals(Answered.STILL_SPARE, answer(new Connection()), "a connect and close (a probe)");
        assertEquals(List.of(), adopted);
    }

    @Test
    void aClientOfAnotherUserIsNotAnswered() {
        Connection c = new Connection().then(requestFrame(KEY, 31));
        c.peer = new HandoffConnection.Peer(1, 1000, 1000);
        assertEquals(Answered.STILL_SPARE, answer(c));
        assertEquals(List.of(), c.sent);
    }

    @Test
    void aFailedAdoptionAnswersFailedAndEndsTheSpare() throws IOException {
        Connection c = new Connection().then(requestFrame(KEY, 31)).then(frame(Kind.GO));
        assertEquals(Answered.END, answer(c, (r, fd) -> {
            throw new IOException("chdir: no such directory");
        }));
        assertEquals(List.of(Kind.READY, Kind.FAILED), c.sentKinds());
        assertEquals(List.of(31), kernel.closedFds);
    }

    @Test
    void aStartThatDiesBeforeDoneEndsTheSpareInsteadOfLeavingADaemonForNobody() throws IOException {
        Connection c = new Connection().then(requestFrame(KEY, 31)).then(frame(Kind.GO)).then(new EOFException("killed"));
        assertEquals(Answered.END, answer(c));
        assertEquals(List.of(31), kernel.closedFds, "the listener is let go");
    }
}
