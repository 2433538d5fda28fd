package jrunc.core.doctor;

import java.util.Set;

/**
 * Which leftovers a command looks at.
 *
 * @param namespace only this containerd namespace, or null for all
 * @param ids       only these ids (container id, or a socket's file name for a socket no bundle claims); empty = all
 */
public record Scope(String namespace, Set<String> ids) {
    public static final Scope ALL = new Scope(null, Set.of());

    public Scope {
        ids = Set.copyOf(ids);
    }

    public boolean namespaceMatches(String ns) {
        return namespace == null || namespace.equals(ns);
    }

    /** True for leftovers the user named, or for all when no id was named. */
    public boolean idMatches(String id) {
        return ids.isEmpty() || ids.contains(id);
    }

    /** True only when the user named this id: the bar for touching anything still alive. */
    public boolean named(String id) {
        return id != null && ids.contains(id);
    }
}
