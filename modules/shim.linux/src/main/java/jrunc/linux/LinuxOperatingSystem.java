package jrunc.linux;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import jrunc.core.spi.OperatingSystem;
import jrunc.core.spi.Reaper;
import jrunc.core.spi.Spawn;

/** The kernel, reached through FFM. (Skeleton: being filled in.) */
public final class LinuxOperatingSystem implements OperatingSystem {
    private static UnsupportedOperationException todo() { return new UnsupportedOperationException("not yet"); }
    @Override public int pid() { return (int) ProcessHandle.current().pid(); }
    @Override public int euid() { throw todo(); }
    @Override public int egid() { throw todo(); }
    @Override public void becomeChildSubreaper() throws IOException { throw todo(); }
    @Override public int spawn(Spawn spawn) throws IOException { throw todo(); }
    @Override public Reaper reaper() { throw todo(); }
    @Override public void kill(int pid, int signal) throws IOException { throw todo(); }
    @Override public boolean isAlive(int pid) { throw todo(); }
    @Override public int[] pipe() throws IOException { throw todo(); }
    @Override public int open(Path path, int flags, int mode) throws IOException { throw todo(); }
    @Override public void close(int fd) { throw todo(); }
    @Override public InputStream inputStream(int fd) { throw todo(); }
    @Override public OutputStream outputStream(int fd) { throw todo(); }
    @Override public void redirectStderr(int fd) throws IOException { throw todo(); }
    @Override public void mkfifo(Path path, int mode) throws IOException { throw todo(); }
    @Override public void fchown(int fd, int uid, int gid) throws IOException { throw todo(); }
    @Override public int listenUnix(Path path) throws IOException { throw todo(); }
    @Override public ServerSocketChannel inheritedListener(int fd) throws IOException { throw todo(); }
    @Override public void mount(String source, Path target, String fsType, long flags, String data) throws IOException { throw todo(); }
    @Override public void unmount(Path target, int flags) throws IOException { throw todo(); }
    @Override public String mountInfo() throws IOException { throw todo(); }
    @Override public int oomScoreAdj(int pid) throws IOException { throw todo(); }
    @Override public void setOomScoreAdj(int pid, int score) throws IOException { throw todo(); }
    @Override public void joinCgroup(int pid, String cgroupPath) throws IOException { throw todo(); }
    @Override public void createSchedCoreCookie(int pgid) throws IOException { throw todo(); }
}
