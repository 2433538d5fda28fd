package jrunc.linux.ffi;

/**
 * The glibc ports jrunc runs on, picked from {@code os.arch}. Sizes of the opaque glibc types we allocate are held
 * per port: today they agree (both are LP64 and glibc lays these types out the same), but a new port has to state
 * its own values here rather than inherit them silently.
 */
public enum Arch {
    /** glibc x86_64: posix_spawn_file_actions_t 80 bytes, posix_spawnattr_t 336, sigset_t 128. */
    X86_64(80, 336, 128),
    /** glibc aarch64: the same sizes as x86_64. */
    AARCH64(80, 336, 128);

    private final long spawnFileActionsSize;
    private final long spawnAttrSize;
    private final long sigsetSize;

    Arch(long spawnFileActionsSize, long spawnAttrSize, long sigsetSize) {
        this.spawnFileActionsSize = spawnFileActionsSize;
        this.spawnAttrSize = spawnAttrSize;
        this.sigsetSize = sigsetSize;
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
}
