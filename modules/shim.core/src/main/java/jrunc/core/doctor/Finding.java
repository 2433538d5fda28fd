package jrunc.core.doctor;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * One leftover on the node.
 *
 * @param namespace  containerd namespace, null when unknown (a socket no bundle claims)
 * @param id         container id, null when unknown
 * @param kind       what it is
 * @param path       the file, directory or mount point it is about ({@code /proc/<pid>} for a process)
 * @param detail     one line for a person
 * @param attributes kind-specific fields, in a stable order; values are String, Number, Boolean or a List of those
 */
public record Finding(String namespace, String id, FindingKind kind, Path path, String detail,
                      SequencedMap<String, Object> attributes) {
    public Finding {
        attributes = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(attributes));
        for (Object v : attributes.values()) {
            if (!(v instanceof String || v instanceof Number || v instanceof Boolean || v instanceof List<?>)) {
                throw new IllegalArgumentException("finding attribute of type " + v.getClass().getName());
            }
        }
    }

    static Finding of(String ns, String id, FindingKind kind, Path path, String detail, Object... keyValues) {
        SequencedMap<String, Object> attrs = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            if (keyValues[i + 1] != null) attrs.put((String) keyValues[i], keyValues[i + 1]);
        }
        return new Finding(ns, id, kind, path, detail, attrs);
    }
}
