package jrunc.linux.ffi;

/**
 * The glibc ports jrunc runs on, picked from {@code os.arch}. Sizes of the opaque glibc types we allocate are held
 * per port: today they agree (both are LP64 and glibc lays these types out the same), but a new port has to state
 * its own values here rather than inherit them silently.
 */
public enum Arch {
    /** glibc x86_64: posix_spawn_file_actions_t 80 bytes, posix_spawnattr_t 336, sigset_t 128; O_NOFOLLOW 0400000. */
    X86_64(80, 336, 128, 0400000),
    /** glibc aarch64: the same sizes as x86_64; O_NOFOLLOW 0100000 ({@code arch/arm64/include/uapi/asm/fcntl.h}). */
    AARCH64(80, 336, 128, 0100000);

    private final long spawnFileActionsSize;
    private final long spawnAttrSize;
    private final long sigsetSize;
    private final int openNoFollow;

    Arch(long spawnFileActionsSize, long spawnAttrSize, long sigsetSize, int openNoFollow) {
        this.spawnFileActionsSize = spawnFileActionsSize;
        this.spawnAttrSize = spawnAttrSize;
        this.sigsetSize = sigsetSize;
        this.openNoFollow = openNoFollow;
    }

    /** The port of this JVM; fails on anything jrunc does not know the layouts of. */
    public static Arch current() {
        return of(System.getProperty("os.arch"));
    }

    static Arch of(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> X86_64;
            case "aarch64", "arm64" -> AARCH64;
            default -> throw new UnsupportedOperationException("jrunc has no native layouts for os.arch " + osArch
                    + " (supported: amd64, aarch64)");
        };
    }

    public long spawnFileActionsSize() {
        return spawnFileActionsSize;
    }

    public long spawnAttrSize() {
        return spawnAttrSize;
    }

    public long sigsetSize() {
        return sigsetSize;
    }

    /** open(2)'s O_NOFOLLOW, one of the few open flags whose value differs between the ports. */
    public int openNoFollow() {
        return openNoFollow;
    }
}
