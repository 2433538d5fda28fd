package jrunc.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jrunc.linux.FdPlan.Close;
import jrunc.linux.FdPlan.CloseFrom;
import jrunc.linux.FdPlan.DevNull;
import jrunc.linux.FdPlan.Dup2;
import org.junit.jupiter.api.Test;

class FdPlanTest {

    @Test
    void noMappingGivesDevNullStdioAndClosesEverythingElse() {
        assertEquals(List.of(new DevNull(0), new DevNull(1), new DevNull(2), new CloseFrom(3)),
                FdPlan.of(Map.of()).actions());
    }

    @Test
    void sameFdInParentAndChildGoesThroughAScratchFdSoCloexecIsCleared() {
        assertEquals(List.of(new Dup2(3, 4), new Dup2(4, 3), new DevNull(0), new DevNull(1), new DevNull(2),
                new CloseFrom(4)), FdPlan.of(Map.of(3, 3)).actions());
    }

    @Test
    void swappedFdsDoNotClobberEachOther() {
        // child 3 ← parent 4 and child 4 ← parent 3: both sources are copied away before either target is written
        assertEquals(List.of(new Dup2(4, 5), new Dup2(3, 6), new Dup2(5, 3), new Dup2(6, 4),
                new DevNull(0), new DevNull(1), new DevNull(2), new CloseFrom(5)),
                FdPlan.of(Map.of(3, 4, 4, 3)).actions());
    }

    @Test
    void gapsBelowTheHighestChildFdAreClosedAndMappedStdioIsNotReplaced() {
        Map<Integer, Integer> fds = new HashMap<>();
        fds.put(1, 20);
        fds.put(5, 21);
        assertEquals(List.of(new Dup2(20, 22), new Dup2(21, 23), new Dup2(22, 1), new Dup2(23, 5),
                new DevNull(0), new DevNull(2), new Close(3), new Close(4), new CloseFrom(6)),
                FdPlan.of(fds).actions());
    }

    @Test
    void negativeFdIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> FdPlan.of(Map.of(3, -1)));
    }
}
