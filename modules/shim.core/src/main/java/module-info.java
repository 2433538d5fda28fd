/**
 * Pure logic of jrunc: the ttrpc protocol, the Task service and its process state machine, the shim manager's
 * start and delete plans, and shim-doctor's leftover detection. No native calls and no root: the kernel is reached
 * only through the interfaces in {@code jrunc.core.spi}, which {@code shim.linux} provides.
 */
module shim.core {
    requires transitive com.google.protobuf;
    requires com.fasterxml.jackson.core;
    // SO_PEERCRED on the ttrpc socket (the shim serves only its own uid and gid, as containerd's shim does);
    // transitive because TtrpcServer's constructor takes a Predicate<jdk.net.UnixDomainPrincipal>.
    requires transitive jdk.net;

    exports jrunc.core.manager;
    exports jrunc.core.spi;
    exports jrunc.core.ttrpc;
    exports jrunc.core.task;
    exports jrunc.core.events;
    exports jrunc.core.doctor;
    exports jrunc.proto.rpc;
    exports jrunc.proto.ttrpc;
    exports jrunc.proto.types;
    exports jrunc.proto.task;
    exports jrunc.proto.events;
    exports jrunc.proto.runc;
    exports jrunc.proto.bootstrap;
    exports jrunc.proto.eventsapi;
    exports jrunc.proto.cgroups.v1;
    exports jrunc.proto.cgroups.v2;

    uses jrunc.core.spi.OperatingSystem;
}
