package jrunc.doctor;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import jrunc.core.doctor.StopAction;
import jrunc.core.spi.OperatingSystem;

/**
 * What the commands need from outside: where to print, whether a person is at a terminal, how to ask them, the
 * shim's Stop path and the kernel (unmount, kill). Tests pass fakes; {@link DoctorMain} passes the real ones.
 *
 * @param terminal true when stdin and stdout are a terminal (interactive use)
 * @param confirm  asks a yes/no question; only used when {@code terminal}
 * @param lastIds  ids seen by the last scan (the shell completes them)
 */
record Env(PrintWriter out, PrintWriter err, boolean terminal, Confirm confirm, StopAction stop,
           OperatingSystem os, Path proc, Set<String> lastIds) {

    @FunctionalInterface
    interface Confirm {
        boolean ask(String question);
    }

    Env {
        lastIds = lastIds == null ? new TreeSet<>() : lastIds;
    }
}
