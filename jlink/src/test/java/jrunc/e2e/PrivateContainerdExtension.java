package jrunc.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The machinery behind {@link ContainerdTest}: one {@link PrivateContainerd} per test class, and for each test a
 * fresh namespace with the busybox image in it, handed to the test as a {@link Ctr}.
 *
 * <p>A failing test gets the tail of containerd's log on stderr; the whole log is kept under
 * {@code -Djrunc.e2e.logs} (failsafe points it into {@code target/}) after the class is done.
 */
public final class PrivateContainerdExtension implements ExecutionCondition, BeforeAllCallback, AfterAllCallback,
        BeforeEachCallback, AfterEachCallback, ParameterResolver, TestWatcher {

    public static final String LOGS_PROPERTY = "jrunc.e2e.logs";

    private static final ExtensionContext.Namespace STORE =
            ExtensionContext.Namespace.create(PrivateContainerdExtension.class);
    private static final String CONTAINERD = "containerd";
    private static final String CTR = "ctr";
    private static final int LOG_TAIL_LINES = 60;

    /**
     * Skips a class whose shim is not built. That is only expected for ours before the jlink image exists, and it
     * is said loudly so a skipped run is never mistaken for a passing one.
     */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (context.getTestMethod().isPresent()) {
            return ConditionEvaluationResult.enabled("decided for the class");
        }
        Shim shim = shim(context);
        Optional<String> why = shim.whyUnavailable();
        if (why.isEmpty()) {
            return ConditionEvaluationResult.enabled(shim + " is available");
        }
        String reason = "SKIPPING " + context.getDisplayName() + ": shim " + shim + " is not available: " + why.get();
        System.err.println("""

                [e2e] ************************************************************************
                [e2e] %s
                [e2e] ************************************************************************
                """.formatted(reason));
        return ConditionEvaluationResult.disabled(reason);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        requireRoot();
        BusyboxImage.archive(); // built before containerd starts, so a build failure is not blamed on it
        context.getStore(STORE).put(CONTAINERD, PrivateContainerd.start());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        PrivateContainerd containerd = context.getStore(STORE).remove(CONTAINERD, PrivateContainerd.class);
        if (containerd != null) {
            String logs = System.getProperty(LOGS_PROPERTY);
            containerd.close(logs == null ? null
                    : Path.of(logs, context.getRequiredTestClass().getSimpleName() + "-containerd.log"));
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        PrivateContainerd containerd = containerd(context);
        if (!containerd.isRunning()) {
            // An earlier crash test left it down; the next test deserves a working containerd, not that failure.
            System.err.println("[e2e] containerd was left stopped by an earlier test; restarting it");
            containerd.restart();
        }
        String namespace = uniqueNamespace(context);
        BusyboxImage.importInto(containerd, namespace);
        context.getStore(STORE).put(CTR, new Ctr(containerd, namespace, shim(context)));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Ctr ctr = context.getStore(STORE).remove(CTR, Ctr.class);
        if (ctr != null && ctr.containerd().isRunning()) {
            ctr.removeAll();
        }
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        PrivateContainerd containerd = containerdOrNull(context);
        if (containerd != null) {
            System.err.printf("%n[e2e] %s failed; last %d lines of %s:%n%s%n%n", context.getDisplayName(),
                    LOG_TAIL_LINES, containerd.logFile(), containerd.logTail(LOG_TAIL_LINES));
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Ctr.class || type == PrivateContainerd.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        if (parameter.getParameter().getType() == PrivateContainerd.class) {
            return containerd(context);
        }
        return context.getStore(STORE).get(CTR, Ctr.class);
    }

    private PrivateContainerd containerd(ExtensionContext context) {
        PrivateContainerd containerd = containerdOrNull(context);
        if (containerd == null) {
            throw new IllegalStateException("no private containerd: did beforeAll fail?");
        }
        return containerd;
    }

    /** Kept in the class's store; a method's store finds it there too, as lookups go up to the parents. */
    private PrivateContainerd containerdOrNull(ExtensionContext context) {
        return context.getStore(STORE).get(CONTAINERD, PrivateContainerd.class);
    }

    private static Shim shim(ExtensionContext context) {
        return AnnotationSupport.findAnnotation(context.getRequiredTestClass(), ContainerdTest.class)
                .orElseThrow(() -> new IllegalStateException(
                        context.getRequiredTestClass() + " is not annotated @ContainerdTest"))
                .shim();
    }

    /**
     * {@code e2e-<method>-<random>}: unique, so leftovers of one test never meet another, and distinct from the
     * namespaces other containerds on this host use, because runc state and cgroups are keyed by namespace.
     * containerd allows letters, digits and single separators, at most 76 characters.
     */
    private static String uniqueNamespace(ExtensionContext context) {
        String method = context.getRequiredTestMethod().getName().replaceAll("[^A-Za-z0-9]", "");
        if (method.length() > 40) {
            method = method.substring(0, 40);
        }
        byte[] random = new byte[4];
        ThreadLocalRandom.current().nextBytes(random);
        return "e2e-" + method + "-" + HexFormat.of().formatHex(random);
    }

    /** containerd, runc and the cgroup tree all need root; say so plainly rather than fail obscurely later. */
    private static void requireRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            if (!Integer.valueOf(0).equals(uid)) {
                throw new IllegalStateException("end-to-end tests must run as root (uid is " + uid + ")");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot tell whether we run as root", e);
        }
    }
}
