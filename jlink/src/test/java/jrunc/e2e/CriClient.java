package jrunc.e2e;

import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import jrunc.e2e.cri.ContainerStatusRequest;
import jrunc.e2e.cri.ContainerStatusResponse;
import jrunc.e2e.cri.CreateContainerRequest;
import jrunc.e2e.cri.CreateContainerResponse;
import jrunc.e2e.cri.ExecSyncRequest;
import jrunc.e2e.cri.ExecSyncResponse;
import jrunc.e2e.cri.ImageStatusRequest;
import jrunc.e2e.cri.ImageStatusResponse;
import jrunc.e2e.cri.PodSandboxStatusRequest;
import jrunc.e2e.cri.PodSandboxStatusResponse;
import jrunc.e2e.cri.RemovePodSandboxRequest;
import jrunc.e2e.cri.RemovePodSandboxResponse;
import jrunc.e2e.cri.RunPodSandboxRequest;
import jrunc.e2e.cri.RunPodSandboxResponse;
import jrunc.e2e.cri.StartContainerRequest;
import jrunc.e2e.cri.StartContainerResponse;
import jrunc.e2e.cri.StopPodSandboxRequest;
import jrunc.e2e.cri.StopPodSandboxResponse;
import jrunc.e2e.cri.VersionRequest;
import jrunc.e2e.cri.VersionResponse;

/**
 * The kubelet's side of CRI, as far as the tests need it: {@code runtime.v1.RuntimeService} and {@code ImageService}
 * over containerd's grpc unix socket, each call with a deadline. Calls are built from method names and the
 * messages in {@code src/test/proto/cri}, so no generated stubs are needed.
 */
final class CriClient implements AutoCloseable {
    private static final String RUNTIME = "runtime.v1.RuntimeService";
    private static final String IMAGES = "runtime.v1.ImageService";
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private final ManagedChannel channel;

    CriClient(Path socket) {
        channel = Grpc.newChannelBuilder("unix://" + socket, InsecureChannelCredentials.create()).build();
    }

    VersionResponse version() {
        return call(RUNTIME, "Version", VersionRequest.newBuilder().setVersion("v1").build(),
                VersionResponse.getDefaultInstance());
    }

    RunPodSandboxResponse runPodSandbox(RunPodSandboxRequest request) {
        return call(RUNTIME, "RunPodSandbox", request, RunPodSandboxResponse.getDefaultInstance());
    }

    PodSandboxStatusResponse podSandboxStatus(String id) {
        return call(RUNTIME, "PodSandboxStatus", PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).build(),
                PodSandboxStatusResponse.getDefaultInstance());
    }

    void stopPodSandbox(String id) {
        call(RUNTIME, "StopPodSandbox", StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build(),
                StopPodSandboxResponse.getDefaultInstance());
    }

    void removePodSandbox(String id) {
        call(RUNTIME, "RemovePodSandbox", RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build(),
                RemovePodSandboxResponse.getDefaultInstance());
    }

    String createContainer(CreateContainerRequest request) {
        return call(RUNTIME, "CreateContainer", request, CreateContainerResponse.getDefaultInstance()).getContainerId();
    }

    void startContainer(String id) {
        call(RUNTIME, "StartContainer", StartContainerRequest.newBuilder().setContainerId(id).build(),
                StartContainerResponse.getDefaultInstance());
    }

    ContainerStatusResponse containerStatus(String id) {
        return call(RUNTIME, "ContainerStatus", ContainerStatusRequest.newBuilder().setContainerId(id).build(),
                ContainerStatusResponse.getDefaultInstance());
    }

    ExecSyncResponse execSync(String id, Duration timeout, String... cmd) {
        return call(RUNTIME, "ExecSync", ExecSyncRequest.newBuilder().setContainerId(id).addAllCmd(java.util.List.of(cmd))
                .setTimeout(timeout.toSeconds()).build(), ExecSyncResponse.getDefaultInstance());
    }

    jrunc.e2e.cri.StatusResponse status() {
        return call(RUNTIME, "Status", jrunc.e2e.cri.StatusRequest.newBuilder().setVerbose(true).build(),
                jrunc.e2e.cri.StatusResponse.getDefaultInstance());
    }

    ImageStatusResponse imageStatus(String image) {
        return call(IMAGES, "ImageStatus", ImageStatusRequest.newBuilder()
                .setImage(jrunc.e2e.cri.ImageSpec.newBuilder().setImage(image)).build(),
                ImageStatusResponse.getDefaultInstance());
    }

    private <Q extends Message, R extends Message> R call(String service, String method, Q request, R responseType) {
        @SuppressWarnings("unchecked")
        MethodDescriptor<Q, R> descriptor = MethodDescriptor.<Q, R>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(service, method))
                .setRequestMarshaller(ProtoUtils.marshaller((Q) request.getDefaultInstanceForType()))
                .setResponseMarshaller(ProtoUtils.marshaller(responseType))
                .build();
        return ClientCalls.blockingUnaryCall(channel, descriptor,
                CallOptions.DEFAULT.withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), request);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
