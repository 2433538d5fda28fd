package jrunc.core.spi;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One waitpid(-1) loop for the whole process, so that no exit status is taken by anyone else. Exits of children
 * started through {@link #start} complete their future; every exit (those too) goes to every subscriber.
 */
public interface Reaper {

    /** Spawns and registers the child before any exit can be reaped, so a child that dies at once is not missed. */
    Child start(Spawn spawn) throws IOException;

    /** Receives every exit, in reaping order, on the reaper's thread: keep the consumer short. */
    AutoCloseable subscribe(Consumer<Exit> subscriber);

    /** A started child and its exit. */
    record Child(int pid, CompletableFuture<Exit> exit) {}
}
