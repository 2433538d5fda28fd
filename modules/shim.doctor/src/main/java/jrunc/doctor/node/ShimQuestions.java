package jrunc.doctor.node;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jrunc.core.doctor.NodeSnapshot.Bundle;
import jrunc.core.doctor.NodeSnapshot.ShimAnswer;
import jrunc.core.ttrpc.CallContext;
import jrunc.core.ttrpc.Code;
import jrunc.core.ttrpc.TtrpcClient;
import jrunc.core.ttrpc.TtrpcException;
import jrunc.proto.task.ConnectRequest;
import jrunc.proto.task.ConnectResponse;
import jrunc.proto.task.ShutdownRequest;
import jrunc.proto.task.StateRequest;

/**
 * Asks a live shim, read-only, about the bundles whose {@code address} names its socket, with the Task API every
 * runc shim serves (containerd v1.6.20 runtime/v2/task/shim.proto): {@code Connect} (which pid serves this socket)
 * and {@code State} of each id (NOT_FOUND: it has no such task). containerd 1.7+ asks much the same before it
 * keeps a reloaded shim ({@code Pids} answering NOT_FOUND, runtime/v2/manager.go). Also sends the one request that
 * is not read-only, {@code Shutdown}, when a clean carries out a {@code shutdown-shim}.
 */
final class ShimQuestions {
    static final String SERVICE = "containerd.task.v2.Task";
    /** containerd's own {@code io.containerd.timeout.shim.shutdown} (containerd v1.6.20 runtime/v2/shim.go). */
    static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(3);

    private final Duration timeout;

    /** @param timeout for each dial and each call */
    ShimQuestions(Duration timeout) {
        this.timeout = timeout;
    }

    /** One answer per socket; a shim that cannot be asked gets none (so it is never judged leaked). */
    Map<Path, ShimAnswer> ask(Map<Path, List<Bundle>> questions) {
        Map<Path, ShimAnswer> out = new HashMap<>();
        questions.forEach((socket, bundles) -> {
            ShimAnswer a = ask(socket, bundles.stream().map(b -> new Task(b.namespace(), b.id())).toList());
            if (a != null) out.put(socket, a);
        });
        return out;
    }

    record Task(String namespace, String id) {}

    /** What the shim on {@code socket} says about {@code tasks}; null when it did not answer clearly. */
    ShimAnswer ask(Path socket, List<Task> tasks) {
        try (TtrpcClient client = new TtrpcClient(socket, timeout)) {
            int shimPid = 0;
            List<String> unknown = new ArrayList<>();
            for (Task t : tasks) {
                Map<String, String> md = Map.of(CallContext.NAMESPACE_KEY, t.namespace());
                ConnectResponse c = ConnectResponse.parseFrom(client.call(SERVICE, "Connect",
                        ConnectRequest.newBuilder().setId(t.id()).build().toByteArray(), md, timeout));
                if (shimPid != 0 && c.getShimPid() != shimPid) return null;
                shimPid = c.getShimPid();
                try {
                    client.call(SERVICE, "State", StateRequest.newBuilder().setId(t.id()).build().toByteArray(), md, timeout);
                    return new ShimAnswer(shimPid, false, "State " + t.id() + ": known");
                } catch (TtrpcException e) {
                    if (e.code() != Code.NOT_FOUND) return null;
                    unknown.add(t.id());
                }
            }
            return new ShimAnswer(shimPid, true, "Connect: shim pid " + shimPid + "; State " + String.join(", ", unknown)
                    + ": not found");
        } catch (TtrpcException | com.google.protobuf.InvalidProtocolBufferException | RuntimeException e) {
            return null;
        }
    }

    /** {@code Shutdown}; true when the shim answered it (it then exits unless it still serves a task). */
    boolean shutdown(Path socket, String namespace, String id) {
        try (TtrpcClient client = new TtrpcClient(socket, timeout)) {
            client.call(SERVICE, "Shutdown", ShutdownRequest.newBuilder().setId(id).build().toByteArray(),
                    Map.of(CallContext.NAMESPACE_KEY, namespace), SHUTDOWN_TIMEOUT);
            return true;
        } catch (TtrpcException | RuntimeException e) {
            return false;
        }
    }
}
