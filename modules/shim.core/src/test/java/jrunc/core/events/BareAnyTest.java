package jrunc.core.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import jrunc.proto.events.TaskExit;
import jrunc.proto.events.TaskStart;
import org.junit.jupiter.api.Test;

class BareAnyTest {
    private static final TaskStart START = TaskStart.newBuilder().setContainerId("c1").setPid(42).build();

    @Test
    void typeUrlIsTheFullProtoNameWithoutPrefix() {
        assertEquals("containerd.events.TaskStart", BareAny.anyOf(START).getTypeUrl());
    }

    @Test
    void bareAndPrefixedAnysBothUnpack() throws InvalidProtocolBufferException {
        assertEquals(START, BareAny.unpack(BareAny.anyOf(START), TaskStart.getDefaultInstance()));
        assertEquals(START, BareAny.unpack(Any.pack(START), TaskStart.getDefaultInstance()));
    }

    @Test
    void anotherTypeIsRefused() {
        Any any = BareAny.anyOf(START);
        assertTrue(BareAny.is(any, TaskStart.getDefaultInstance()));
        assertFalse(BareAny.is(any, TaskExit.getDefaultInstance()));
        assertThrows(InvalidProtocolBufferException.class, () -> BareAny.unpack(any, TaskExit.getDefaultInstance()));
    }
}
