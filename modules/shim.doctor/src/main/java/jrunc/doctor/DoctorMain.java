package jrunc.doctor;

/** Entry point of shim-doctor. */
public final class DoctorMain {
    private DoctorMain() {}

    public static void main(String[] args) {
        System.out.println("shim-doctor");
    }
}
