package jrunc.core.stdio;

import java.io.IOException;
import java.io.OutputStream;

/**
 * One writer shared by the stdout and stderr copiers (a {@code file://} log, or the same regular file named for
 * both): each chunk is written whole, and the file closes when the last copier is done with it.
 */
final class SharedSink {
    private final OutputStream target;
    private int users; // guarded by this

    SharedSink(OutputStream target) {
        this.target = target;
    }

    /** A handle for one copier; closing it releases that copier's share. */
    synchronized OutputStream acquire() {
        users++;
        return new OutputStream() {
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                synchronized (SharedSink.this) {
                    target.write(b, off, len);
                }
            }

            @Override
            public void close() throws IOException {
                synchronized (SharedSink.this) {
                    if (closed) return;
                    closed = true;
                    if (--users == 0) target.close();
                }
            }
        };
    }
}
