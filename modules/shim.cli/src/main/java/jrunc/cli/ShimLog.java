package jrunc.cli;

import java.io.PrintStream;
import java.text.MessageFormat;
import java.time.Instant;
import java.util.ResourceBundle;
import java.util.function.Supplier;

/**
 * Routes every module's {@link System.Logger} to stderr in logrus' text format, which is what containerd's log
 * carries for Go shims: the daemon's stderr is the bundle's {@code log} FIFO, copied by containerd into its own log.
 * Avoids java.logging in the image and costs nothing until the first log call.
 */
public final class ShimLog extends System.LoggerFinder {
    private static volatile System.Logger.Level threshold = System.Logger.Level.INFO;
    private static volatile String fields = "";

    /** Sets the level ({@code -debug}) and the fields every line carries (namespace, id). */
    static void configure(boolean debug, String namespace, String id) {
        threshold = debug ? System.Logger.Level.DEBUG : System.Logger.Level.INFO;
        fields = " namespace=" + namespace + " id=" + id + " runtime=" + ShimMain.RUNTIME_NAME;
    }

    @Override
    public System.Logger getLogger(String name, Module module) {
        return new Line(name);
    }

    private record Line(String name) implements System.Logger {
        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean isLoggable(Level level) {
            return level != Level.OFF && level.getSeverity() >= threshold.getSeverity();
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            if (!isLoggable(level)) return;
            write(level, msg, thrown);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            if (!isLoggable(level)) return;
            write(level, params == null || params.length == 0 ? format : MessageFormat.format(format, params), null);
        }

        @Override
        public void log(Level level, Supplier<String> msgSupplier) {
            if (isLoggable(level)) write(level, msgSupplier.get(), null);
        }

        private static void write(Level level, String msg, Throwable thrown) {
            StringBuilder sb = new StringBuilder(160)
                    .append("time=\"").append(Instant.now()).append("\" level=").append(logrusLevel(level))
                    .append(" msg=\"").append(quoted(msg == null ? "" : msg));
            if (thrown != null) sb.append(": ").append(quoted(String.valueOf(thrown)));
            sb.append('"').append(fields).append('\n');
            PrintStream err = System.err;
            err.print(sb);
            err.flush();
        }

        /** As logrus quotes a value: one line, whatever the message holds (runc's errors can span lines). */
        private static String quoted(String text) {
            return text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n").replace("\r", "\\r");
        }

        private static String logrusLevel(Level level) {
            return switch (level) {
                case TRACE -> "trace";
                case DEBUG -> "debug";
                case INFO -> "info";
                case WARNING -> "warning";
                default -> "error";
            };
        }
    }
}
