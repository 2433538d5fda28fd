package jrunc.cli;

/** Entry point of containerd-shim-jrunc-v2. */
public final class ShimMain {
    private ShimMain() {}

    public static void main(String[] args) {
        System.out.println("containerd-shim-jrunc-v2");
    }
}
