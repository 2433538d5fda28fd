package jrunc.core.ttrpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ServiceRegistryTest {
    private static final String V2 = "containerd.task.v2.Task", V3 = "containerd.task.v3.Task";

    @Test
    void anAliasServesEveryMethodOfTheServiceIncludingLaterOnes() throws Exception {
        ServiceRegistry registry = new ServiceRegistry();
        registry.register(V2, "State", (ctx, payload) -> new byte[] {1});
        registry.alias(V3, V2);
        registry.register(V2, "Create", (ctx, payload) -> new byte[] {2});

        assertArrayEquals(new byte[] {1}, registry.lookup(V3, "State").handle(null, new byte[0]));
        assertArrayEquals(new byte[] {2}, registry.lookup(V3, "Create").handle(null, new byte[0]));
        assertArrayEquals(new byte[] {1}, registry.lookup(V2, "State").handle(null, new byte[0]));
    }

    @Test
    void unknownServicesAndMethodsStayUnimplemented() {
        ServiceRegistry registry = new ServiceRegistry().alias(V3, V2);
        assertEquals(Code.UNIMPLEMENTED, assertThrows(TtrpcException.class,
                () -> registry.lookup("containerd.task.v4.Task", "State")).code());
        assertEquals(Code.UNIMPLEMENTED, assertThrows(TtrpcException.class, () -> registry.lookup(V3, "State")).code());
    }

    @Test
    void anAliasCannotHideAServiceRegisteredUnderThatName() {
        ServiceRegistry registry = new ServiceRegistry();
        registry.register(V3, "State", (ctx, payload) -> new byte[0]);
        assertThrows(IllegalStateException.class, () -> registry.alias(V3, V2));
    }
}
