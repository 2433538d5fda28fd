package jrunc.core.task;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import jrunc.core.ttrpc.CallContext;
import jrunc.core.ttrpc.ServiceRegistry;
import jrunc.core.ttrpc.TtrpcException;
import jrunc.proto.task.*;

/**
 * The edge between ttrpc and the {@link TaskService}: decodes each request with the generated classes, calls the
 * service with the call's context (namespace, deadline), and encodes the response. Failures pass through as they
 * are: a {@link TaskException} already carries its code, and the ttrpc server turns every failure into a status in
 * one place ({@link jrunc.core.ttrpc.Statuses#fromThrowable}, containerd's {@code errdefs.ToGRPC} and ttrpc's
 * {@code convertCode}).
 */
public final class TaskHandlers {
    /** The service name containerd 1.6, 1.7 and 2.x call on a shim that printed a plain address. */
    public static final String SERVICE = "containerd.task.v2.Task";

    private TaskHandlers() {}

    @FunctionalInterface
    private interface Parser<T> {
        T parse(byte[] bytes) throws InvalidProtocolBufferException;
    }

    @FunctionalInterface
    private interface Call<T> {
        MessageLite call(CallContext context, T request) throws TaskException;
    }

    /** Registers every RPC of {@code containerd.task.v2.Task}. */
    public static void register(ServiceRegistry registry, TaskService service) {
        method(registry, "State", StateRequest::parseFrom, service::state);
        method(registry, "Create", CreateTaskRequest::parseFrom, service::create);
        method(registry, "Start", StartRequest::parseFrom, service::start);
        method(registry, "Delete", DeleteRequest::parseFrom, service::delete);
        method(registry, "Pids", PidsRequest::parseFrom, service::pids);
        method(registry, "Pause", PauseRequest::parseFrom, service::pause);
        method(registry, "Resume", ResumeRequest::parseFrom, service::resume);
        method(registry, "Checkpoint", CheckpointTaskRequest::parseFrom, service::checkpoint);
        method(registry, "Kill", KillRequest::parseFrom, service::kill);
        method(registry, "Exec", ExecProcessRequest::parseFrom, service::exec);
        method(registry, "ResizePty", ResizePtyRequest::parseFrom, service::resizePty);
        method(registry, "CloseIO", CloseIORequest::parseFrom, service::closeIO);
        method(registry, "Update", UpdateTaskRequest::parseFrom, service::update);
        method(registry, "Wait", WaitRequest::parseFrom, service::await);
        method(registry, "Stats", StatsRequest::parseFrom, service::stats);
        method(registry, "Connect", ConnectRequest::parseFrom, service::connect);
        method(registry, "Shutdown", ShutdownRequest::parseFrom, service::shutdown);
    }

    private static <T> void method(ServiceRegistry registry, String name, Parser<T> parser, Call<T> call) {
        registry.register(SERVICE, name, (context, payload) -> {
            T request;
            try {
                request = parser.parse(payload);
            } catch (InvalidProtocolBufferException e) {
                throw TtrpcException.invalidArgument("decode " + name + " request: " + e.getMessage());
            }
            return call.call(context, request).toByteArray();
        });
    }
}
