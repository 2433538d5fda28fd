package jrunc.linux.ffi;

/**
 * Kernel and glibc constants jrunc passes to native calls. The values are the same on x86_64 and aarch64 (both
 * use the generic numbering for everything here); each group names the header it comes from.
 */
public final class Constants {
    private Constants() {}

    // <linux/prctl.h>
    public static final int PR_SET_CHILD_SUBREAPER = 36;
    public static final int PR_GET_CHILD_SUBREAPER = 37;
    public static final int PR_SCHED_CORE = 62;
    public static final int PR_SCHED_CORE_CREATE = 1;
    /** The cookie's scope is a process group (the kernel's PIDTYPE_PGID). */
    public static final int PR_SCHED_CORE_SCOPE_PROCESS_GROUP = 2;

    // <asm-generic/errno-base.h>, <asm-generic/errno.h>: the ones ErrnoException does not name
    public static final int ENODEV = 19;
    public static final int ENAMETOOLONG = 36;

    // <asm-generic/fcntl.h>
    public static final int O_CLOEXEC = 02000000;

    // <bits/socket.h>, <bits/socket_type.h>
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_CLOEXEC = O_CLOEXEC;
    /**
     * glibc's SOMAXCONN (4096 since 2.34). The kernel silently caps the backlog at net.core.somaxconn, so this
     * means "as deep as the node allows", as Go's net.Listen does.
     */
    public static final int SOMAXCONN = 4096;

    // <spawn.h> (glibc)
    public static final short POSIX_SPAWN_SETPGROUP = 0x02;
    public static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    public static final short POSIX_SPAWN_SETSIGMASK = 0x08;
}
