package jrunc.core.stdio;

/** A terminal's size as ResizePty sends it and TIOCSWINSZ sets it: columns and rows (containerd's console.WinSize). */
public record WindowSize(int width, int height) {
    public WindowSize {
        if (width < 0 || height < 0) {
            throw new IllegalArgumentException("window size : " + width + "x" + height + " (expected: >= 0)");
        }
    }
}
