package jrunc.core.ttrpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import jrunc.proto.ttrpc.KeyValue;
import jrunc.proto.ttrpc.Request;

/**
 * What the ttrpc server must answer, frame by frame, worked out apart from it: the rules of ttrpc's
 * {@code serverConn.run} (ttrpc v1.1.1 server.go, with v1.2's rising stream ids) and the test service's answers.
 * The server's answers arrive in any order (handlers run concurrently); the model gives the multiset.
 */
final class ServerModel {
    static final String SERVICE = "test.v1.Fuzz";
    /** Methods of {@link #SERVICE}; anything else is UNIMPLEMENTED. */
    static final List<String> METHODS = List.of("Echo", "Meta", "Fail", "Block", "Empty");

    /** One answer the client must receive: its stream, its code, and its payload (hex, for OK) or its message. */
    record Answer(long streamId, Code code, String text) {
        @Override
        public String toString() {
            return Long.toUnsignedString(streamId) + " " + code + " \"" + text + "\"";
        }
    }

    /** What the {@code Fail} handler throws, picked by the first payload byte: Errors among them. */
    static Throwable failure(byte[] payload) {
        int pick = payload.length == 0 ? 0 : Math.floorMod(payload[0], 9);
        int codeValue = payload.length < 2 ? 13 : Math.floorMod(payload[1], 17);
        return switch (pick) {
            case 0 -> new TtrpcException(Code.of(codeValue), "failed with " + codeValue);
            case 1 -> new IllegalStateException("boom");
            case 2 -> new UncheckedIOException(new NoSuchFileException("/run/containerd/x/init.pid"));
            case 3 -> new NullPointerException();
            case 4 -> new AssertionError("a broken invariant");
            case 5 -> new StackOverflowError();
            case 6 -> new OutOfMemoryError("Java heap space");
            case 7 -> new ExceptionInInitializerError("static init");
            default -> new TtrpcException(Code.UNKNOWN, "unclassified", new NoSuchFileException("/x"));
        };
    }

    /** The status a handler's failure goes out as: its own code when classified, else the code of its causes. */
    static Answer answerTo(long streamId, Throwable failure) {
        String message = failure.getMessage() == null ? failure.toString() : failure.getMessage();
        if (failure instanceof TtrpcException e && e.code() != Code.UNKNOWN) return new Answer(streamId, e.code(), message);
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof NoSuchFileException) return new Answer(streamId, Code.NOT_FOUND, message);
        }
        return new Answer(streamId, Code.UNKNOWN, message);
    }

    /** The handlers, as the server under test runs them. {@code release} frees every blocked call. */
    static ServiceRegistry registry(CountDownLatch release) {
        return new ServiceRegistry()
                .register(SERVICE, "Echo", (ctx, payload) -> payload)
                .register(SERVICE, "Meta", (ctx, payload) -> digest(ctx.service(), ctx.method(), ctx.namespace(),
                        ctx.metadata(), ctx.deadlineNanos() != Long.MAX_VALUE).getBytes(StandardCharsets.UTF_8))
                .register(SERVICE, "Empty", (ctx, payload) -> null)
                .register(SERVICE, "Block", (ctx, payload) -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return payload;
                })
                .register(SERVICE, "Fail", (ctx, payload) -> {
                    switch (failure(payload)) {
                        case TtrpcException e -> throw e;
                        case RuntimeException e -> throw e;
                        case Error e -> throw e;
                        case Throwable t -> throw new IllegalStateException(t);
                    }
                });
    }

    static String digest(String service, String method, String namespace, Map<String, List<String>> metadata,
                         boolean deadline) {
        return service + "|" + method + "|" + namespace + "|" + metadata + "|deadline=" + deadline;
    }

    /** An OK answer's text: its payload, byte for byte. */
    static String hex(ByteString payload) {
        return HexFormat.of().formatHex(payload.toByteArray());
    }

    private long lastStreamId;

    long lastStreamId() {
        return lastStreamId;
    }

    /** A Request frame with this payload on this (unsigned) stream id: the answer, or none. */
    Answer request(long streamId, byte[] payload) {
        if ((streamId & 1) == 0) {
            return new Answer(streamId, Code.INVALID_ARGUMENT, "StreamID must be odd for client initiated streams");
        }
        if (streamId <= lastStreamId) {
            return new Answer(streamId, Code.INVALID_ARGUMENT, "StreamID cannot be re-used and must increment");
        }
        lastStreamId = streamId;
        Request request;
        try {
            request = Request.parseFrom(payload);
        } catch (InvalidProtocolBufferException e) {
            return new Answer(streamId, Code.INVALID_ARGUMENT, "unmarshal request: " + e.getMessage());
        }
        return dispatch(streamId, request);
    }

    /** A frame over the limit, of any type: RESOURCE_EXHAUSTED on its stream, in ttrpc's words. */
    Answer oversized(long streamId, long length) {
        return new Answer(streamId, Code.RESOURCE_EXHAUSTED,
                "message length " + length + " exceed maximum message size of " + FrameHeader.MAX_MESSAGE_LENGTH);
    }

    private static Answer dispatch(long streamId, Request request) {
        if (!request.getService().equals(SERVICE)) {
            return new Answer(streamId, Code.UNIMPLEMENTED, "service " + request.getService());
        }
        return switch (request.getMethod()) {
            case "Echo" -> new Answer(streamId, Code.OK, hex(request.getPayload()));
            case "Empty" -> new Answer(streamId, Code.OK, "");
            case "Meta" -> new Answer(streamId, Code.OK, hex(ByteString.copyFromUtf8(digest(request.getService(),
                    request.getMethod(), namespaceOf(request), metadataOf(request), request.getTimeoutNano() > 0))));
            case "Fail" -> answerTo(streamId, failure(request.getPayload().toByteArray()));
            // a blocked call is answered by its deadline, or not while the test runs
            case "Block" -> request.getTimeoutNano() > 0
                    ? new Answer(streamId, Code.DEADLINE_EXCEEDED, "context deadline exceeded") : null;
            default -> new Answer(streamId, Code.UNIMPLEMENTED, "method " + request.getMethod());
        };
    }

    private static String namespaceOf(Request request) {
        for (KeyValue kv : request.getMetadataList()) {
            if (kv.getKey().equals(CallContext.NAMESPACE_KEY)) return kv.getValue();
        }
        return "";
    }

    private static Map<String, List<String>> metadataOf(Request request) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (KeyValue kv : request.getMetadataList()) {
            out.computeIfAbsent(kv.getKey(), k -> new ArrayList<>()).add(kv.getValue());
        }
        return out;
    }
}
