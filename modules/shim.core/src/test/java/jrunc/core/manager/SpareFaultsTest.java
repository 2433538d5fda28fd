package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import jrunc.core.manager.SpareFaults.Step;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpareFaultsTest {
    @TempDir Path dir;

    @Test
    void withoutTheVariableTheHookIsNone() {
        assertSame(SpareFaults.NONE, SpareFaults.of(new HandoffFakes.Kernel().os(), Map.of()));
        assertSame(SpareFaults.NONE, SpareFaults.of(new HandoffFakes.Kernel().os(), Map.of(SpareFaults.VARIABLE, "")));
    }

    @Test
    void onlyTheStepTheFileNamesKillsTheProcessItself() throws IOException {
        HandoffFakes.Kernel kernel = new HandoffFakes.Kernel();
        Path file = dir.resolve("fault");
        SpareFaults faults = SpareFaults.of(new FileReadingOs(kernel).os(), Map.of(SpareFaults.VARIABLE, file.toString()));
        faults.at(Step.SPARE_AFTER_FD); // no file yet: nothing
        Files.writeString(file, "start-after-go\n");
        faults.at(Step.START_BEFORE_GO);
        assertEquals(List.of(), kernel.signals);
        faults.at(Step.START_AFTER_GO);
        assertEquals(List.of("kill 55 signal 9"), kernel.signals, "SIGKILL of its own pid");
        assertEquals("spare-before-accept", Step.SPARE_BEFORE_ACCEPT.fileText());
    }

    /** The hand-off kernel, reading real files. */
    private record FileReadingOs(HandoffFakes.Kernel kernel) {
        jrunc.core.spi.OperatingSystem os() {
            jrunc.core.spi.OperatingSystem base = kernel.os();
            return (jrunc.core.spi.OperatingSystem) java.lang.reflect.Proxy.newProxyInstance(
                    jrunc.core.spi.OperatingSystem.class.getClassLoader(),
                    new Class<?>[] {jrunc.core.spi.OperatingSystem.class}, (proxy, method, args) -> {
                        if (method.getName().equals("readRegularFile")) {
                            return jrunc.core.spi.JavaFiles.readRegularFile((Path) args[0], (Integer) args[1]);
                        }
                        try {
                            return method.invoke(base, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }
}
