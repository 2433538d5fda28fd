package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SpareProtocolTest {
    @Test
    void aRequestSurvivesItsEncoding() throws IOException {
        SpareProtocol.Request r = HandoffFakes.request(HandoffFakes.KEY);
        assertEquals(r, SpareProtocol.decodeRequest(SpareProtocol.encode(r)));
    }

    @Test
    void aTruncatedOrForeignRequestIsRefused() {
        byte[] whole = SpareProtocol.encode(HandoffFakes.request(HandoffFakes.KEY));
        for (int cut : new int[] {0, 3, 8, whole.length / 2, whole.length - 1}) {
            assertThrows(IOException.class, () -> SpareProtocol.decodeRequest(Arrays.copyOf(whole, cut)), "cut at " + cut);
        }
        byte[] longer = Arrays.copyOf(whole, whole.length + 1);
        assertThrows(IOException.class, () -> SpareProtocol.decodeRequest(longer), "trailing bytes");
        byte[] otherVersion = whole.clone();
        otherVersion[7]++;
        IOException e = assertThrows(IOException.class, () -> SpareProtocol.decodeRequest(otherVersion));
        assertTrue(e.getMessage().contains("version"), e.getMessage());
    }

    @Test
    void answersCarryTheirReasonAndUnknownKindsAreRefused() throws IOException {
        SpareProtocol.Answer a = new SpareProtocol.Answer(SpareProtocol.Kind.REFUSED, "taken");
        assertEquals(a, SpareProtocol.Answer.decode(a.encode()));
        assertThrows(IOException.class, () -> SpareProtocol.Answer.decode(new byte[0]));
        assertThrows(IOException.class, () -> SpareProtocol.Answer.decode(new byte[] {99}));
        String huge = "x".repeat(10_000);
        assertTrue(new SpareProtocol.Answer(SpareProtocol.Kind.FAILED, huge).encode().length <= SpareProtocol.MAX_ANSWER);
    }

    @Test
    void theKeyNamesOneSocketPerContainerdAndKind() {
        SpareKey k = HandoffFakes.KEY;
        Path dir = Path.of("/run/containerd/s");
        assertEquals(k.socket(dir), new SpareKey(k.binary(), k.image(), k.address(), k.namespace(), k.debug(),
                new TreeMap<>(k.env())).socket(dir), "the same key, the same socket");
        SpareKey otherEnv = new SpareKey(k.binary(), k.image(), k.address(), k.namespace(), k.debug(),
                new TreeMap<>(Map.of("TTRPC_ADDRESS", "/elsewhere")));
        assertNotEquals(k.socket(dir), otherEnv.socket(dir));
        assertTrue(otherEnv.socket(dir).getFileName().toString().startsWith(SpareKey.socketPrefixFor(k.address())),
                "the same containerd, the same prefix");
        SpareKey otherContainerd = new SpareKey(k.binary(), k.image(), "/run/other.sock", k.namespace(), k.debug(), k.env());
        assertTrue(!otherContainerd.socket(dir).getFileName().toString().startsWith(SpareKey.socketPrefixFor(k.address())));
        assertTrue(SpareKey.isRendezvousName(k.socket(dir).getFileName().toString()));
        assertTrue(k.socket(dir).toString().length() < 100, "fits in sun_path");
        assertTrue(!Names.isIdentifier(SpareKey.ID_SLOT), "no task can have the spare's id");
        assertEquals(76, SpareKey.ID_SLOT.length());
    }
}
