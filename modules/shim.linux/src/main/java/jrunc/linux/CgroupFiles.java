package jrunc.linux;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Reading cgroup interface files. A file that is not there is no error, only no value: controllers and kernels differ
 * in what they offer (no memsw without swap accounting, no CFQ stats on blk-mq), and containerd skips what is missing.
 */
final class CgroupFiles {
    private CgroupFiles() {}

    /** The file's text, or null when it does not exist. */
    static String read(Path file) throws IOException {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** A single unsigned 64-bit value; {@code whenMax} for the word "max" (no limit); null when the file is missing. */
    static Long uint64(Path file, long whenMax) throws IOException {
        String text = read(file);
        if (text == null) return null;
        String value = text.trim();
        return value.equals("max") ? whenMax : Long.parseUnsignedLong(value);
    }

    /** "key value" lines (memory.stat, cpu.stat, cpuacct.stat, memory.oom_control); empty when the file is missing. */
    static Map<String, Long> flatKeyed(Path file) throws IOException {
        Map<String, Long> values = new LinkedHashMap<>();
        String text = read(file);
        if (text == null) return values;
        for (String line : text.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length == 2 && isUnsigned(fields[1])) values.put(fields[0], Long.parseUnsignedLong(fields[1]));
        }
        return values;
    }

    /**
     * Sets each value on the uint64 field of {@code builder} its key names once renamed; keys with no such field (the
     * kernel adds new ones) are left out, as containerd's fixed field list leaves them out.
     */
    static void setByName(Message.Builder builder, Map<String, Long> values, UnaryOperator<String> rename) {
        for (Map.Entry<String, Long> e : values.entrySet()) {
            FieldDescriptor field = builder.getDescriptorForType().findFieldByName(rename.apply(e.getKey()));
            if (field != null && !field.isRepeated() && field.getType() == FieldDescriptor.Type.UINT64) {
                builder.setField(field, e.getValue());
            }
        }
    }

    static boolean isUnsigned(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        }
        return true;
    }
}
