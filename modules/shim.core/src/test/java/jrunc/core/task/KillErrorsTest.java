package jrunc.core.task;

import static org.junit.jupiter.api.Assertions.*;

import jrunc.core.ttrpc.Code;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KillErrorsTest {
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "os: process already finished|NOT_FOUND|process already finished",
            "container not running|NOT_FOUND|process already finished",
            "kill: No Such Process|NOT_FOUND|process already finished",
            "container \"c1\" does not exist|NOT_FOUND|no such container",
            "permission denied|UNKNOWN|unknown error after kill: permission denied"})
    void runcKillErrorsAreClassifiedAsContainerdDoes(String runcSays, Code code, String message) {
        TaskException e = KillErrors.classify(runcSays);
        assertEquals(code, e.code());
        assertEquals(message, e.getMessage());
    }
}
