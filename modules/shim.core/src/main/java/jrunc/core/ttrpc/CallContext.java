package jrunc.core.ttrpc;

import java.util.List;
import java.util.Map;

/**
 * What a handler knows about its call.
 *
 * @param service      e.g. {@code containerd.task.v2.Task}
 * @param method       e.g. {@code Create}
 * @param metadata     the Request's metadata (a key may repeat), e.g. {@code containerd-namespace-ttrpc}
 * @param deadlineNanos {@link System#nanoTime()} by which the caller gives up, or {@link Long#MAX_VALUE}
 */
public record CallContext(String service, String method, Map<String, List<String>> metadata, long deadlineNanos) {
    public static final String NAMESPACE_KEY = "containerd-namespace-ttrpc";

    public String namespace() {
        List<String> values = metadata.get(NAMESPACE_KEY);
        return values == null || values.isEmpty() ? "" : values.getFirst();
    }
}
