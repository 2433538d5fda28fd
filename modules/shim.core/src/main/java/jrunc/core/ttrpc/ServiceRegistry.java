package jrunc.core.ttrpc;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Handlers by service and method name. Unknown service or method → UNIMPLEMENTED at the server. */
public final class ServiceRegistry {
    private final Map<String, Map<String, UnaryHandler>> services = new ConcurrentHashMap<>();

    public ServiceRegistry register(String service, String method, UnaryHandler handler) {
        services.computeIfAbsent(service, s -> new ConcurrentHashMap<>()).put(method, handler);
        return this;
    }

    /**
     * Serves {@code service}'s methods under a second name as well, e.g. {@code containerd.task.v3.Task}: the same
     * messages under a new package, as a shim of protocol version 3 must answer. Methods registered later under
     * {@code service} are served under the alias too.
     */
    public ServiceRegistry alias(String alias, String service) {
        Map<String, UnaryHandler> methods = services.computeIfAbsent(service, s -> new ConcurrentHashMap<>());
        Map<String, UnaryHandler> previous = services.putIfAbsent(alias, methods);
        if (previous != null && previous != methods) {
            throw new IllegalStateException("service " + alias + " is already registered");
        }
        return this;
    }

    /** @throws TtrpcException UNIMPLEMENTED "service X" / "method X" as containerd's ttrpc words them */
    public UnaryHandler lookup(String service, String method) throws TtrpcException {
        Map<String, UnaryHandler> methods = services.get(service);
        if (methods == null) throw TtrpcException.unimplemented("service " + service);
        UnaryHandler handler = methods.get(method);
        if (handler == null) throw TtrpcException.unimplemented("method " + method);
        return handler;
    }
}
