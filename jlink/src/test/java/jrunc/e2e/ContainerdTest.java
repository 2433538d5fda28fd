package jrunc.e2e;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks an end-to-end test class: it gets a private containerd of its own (started once for the class), the
 * busybox image in a fresh namespace for each test, and a {@link Ctr} parameter that runs tasks with
 * {@link #shim()}.
 *
 * <p>Put the tests in an abstract class and this annotation on one subclass per shim, so the same test body
 * proves Go's shim and ours.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@ExtendWith(PrivateContainerdExtension.class)
public @interface ContainerdTest {

    Shim shim();
}
