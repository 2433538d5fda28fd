package jrunc.core.task;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import jrunc.core.ttrpc.CallContext;
import jrunc.core.ttrpc.Code;
import jrunc.core.ttrpc.ServiceRegistry;
import jrunc.core.ttrpc.TtrpcException;
import jrunc.proto.task.*;

/**
 * The edge between ttrpc and the {@link TaskService}: decodes each request with the generated classes, calls the
 * service, encodes the response, and turns a {@link TaskException} into the ttrpc status it was classified as.
 * This is the only place a Task error becomes a status (containerd's {@code errdefs.ToGRPC}).
 */
public final class TaskHandlers {
    /** The service name containerd 1.6, 1.7 and 2.x call on a shim that printed a plain address. */
    public static final String SERVICE = "containerd.task.v2.Task";
    private static final System.Logger LOG = System.getLogger(TaskHandlers.class.getName());

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
        method(registry, "State", StateRequest::parseFrom, (ctx, r) -> service.state(r));
        method(registry, "Create", CreateTaskRequest::parseFrom, (ctx, r) -> service.create(ctx.namespace(), r));
        method(registry, "Start", StartRequest::parseFrom, (ctx, r) -> service.start(r));
        method(registry, "Delete", DeleteRequest::parseFrom, (ctx, r) -> service.delete(r));
        method(registry, "Pids", PidsRequest::parseFrom, (ctx, r) -> service.pids(r));
        method(registry, "Pause", PauseRequest::parseFrom, (ctx, r) -> service.pause(r));
        method(registry, "Resume", ResumeRequest::parseFrom, (ctx, r) -> service.resume(r));
        method(registry, "Checkpoint", CheckpointTaskRequest::parseFrom, (ctx, r) -> service.checkpoint(r));
        method(registry, "Kill", KillRequest::parseFrom, (ctx, r) -> service.kill(r));
        method(registry, "Exec", ExecProcessRequest::parseFrom, (ctx, r) -> service.exec(r));
        method(registry, "ResizePty", ResizePtyRequest::parseFrom, (ctx, r) -> service.resizePty(r));
        method(registry, "CloseIO", CloseIORequest::parseFrom, (ctx, r) -> service.closeIO(r));
        method(registry, "Update", UpdateTaskRequest::parseFrom, (ctx, r) -> service.update(r));
        method(registry, "Wait", WaitRequest::parseFrom, (ctx, r) -> service.await(r));
        method(registry, "Stats", StatsRequest::parseFrom, (ctx, r) -> service.stats(r));
        method(registry, "Connect", ConnectRequest::parseFrom, (ctx, r) -> service.connect(r));
        method(registry, "Shutdown", ShutdownRequest::parseFrom, (ctx, r) -> service.shutdown(r));
    }

    private static <T> void method(ServiceRegistry registry, String name, Parser<T> parser, Call<T> call) {
        registry.register(SERVICE, name, (context, payload) -> {
            T request;
            try {
                request = parser.parse(payload);
            } catch (InvalidProtocolBufferException e) {
                throw TtrpcException.invalidArgument("decode " + name + " request: " + e.getMessage());
            }
            try {
                return call.call(context, request).toByteArray();
            } catch (TaskException e) {
                throw toStatus(e);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, name + " failed unexpectedly", e);
                throw new TtrpcException(Code.UNKNOWN, name + ": " + e, e);
            }
        });
    }

    static TtrpcException toStatus(TaskException e) {
        return new TtrpcException(e.code(), e.getMessage(), e);
    }
}
