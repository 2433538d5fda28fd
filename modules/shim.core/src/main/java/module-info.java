/**
 * Pure logic of jrunc: the ttrpc protocol, the Task service with its process states, the runc client, stdio and
 * rootfs mounts, the shim manager's start and Stop paths, and shim-doctor's leftover detection. No native calls and
 * no root: the kernel is reached only through the interfaces in {@code jrunc.core.spi}, which {@code shim.linux}
 * provides. Every export names the modules that use it.
 */
module shim.core {
    requires transitive com.google.protobuf;
    // jackson-core writes the JSON the shim writes (options.json, an exec's process spec); jrunc.core.json reads
    requires com.fasterxml.jackson.core;
    // SO_PEERCRED on the ttrpc socket (the shim serves only its own uid and gid, as containerd's shim does);
    // transitive because TtrpcServer's constructor takes a Predicate<jdk.net.UnixDomainPrincipal>.
    requires transitive jdk.net;

    // the seam to the kernel, implemented by shim.linux
    exports jrunc.core.spi to shim.linux, shim.cli, shim.doctor;
    // start and delete (shim.cli), the Stop path and bundle reading (shim-doctor), mountinfo (shim.linux)
    exports jrunc.core.manager to shim.cli, shim.doctor, shim.linux;
    // the daemon: the Task service on a ttrpc server, events back to containerd; shim-doctor asks live shims too
    exports jrunc.core.task to shim.cli;
    exports jrunc.core.ttrpc to shim.cli, shim.doctor;
    exports jrunc.core.events to shim.cli;
    // what shim-doctor finds
    exports jrunc.core.doctor to shim.doctor;
    // jrunc.core.runc, jrunc.core.stdio, jrunc.core.mount and jrunc.core.json serve the Task service and the Stop
    // path only.

    // generated messages: protobuf-java reads them reflectively (field accessors, toString, equals)
    exports jrunc.proto.rpc to com.google.protobuf;
    exports jrunc.proto.ttrpc to com.google.protobuf;
    // RuntimeInfo (-info) and the runc options are built in shim.core and written or read by shim.cli
    exports jrunc.proto.types to com.google.protobuf, shim.cli;
    exports jrunc.proto.task to com.google.protobuf, shim.cli, shim.doctor;
    exports jrunc.proto.events to com.google.protobuf;
    exports jrunc.proto.runc to com.google.protobuf, shim.cli;
    exports jrunc.proto.runc.legacy to com.google.protobuf;
    exports jrunc.proto.runtimeoptions to com.google.protobuf;
    exports jrunc.proto.bootstrap to com.google.protobuf;
    exports jrunc.proto.eventsapi to com.google.protobuf;
    exports jrunc.proto.cgroups.v1 to com.google.protobuf, shim.linux;
    exports jrunc.proto.cgroups.v2 to com.google.protobuf, shim.linux;

    uses jrunc.core.spi.OperatingSystem;
}
