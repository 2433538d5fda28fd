package jrunc.e2e;

/** {@link CriPodTests} on Go's {@code containerd-shim-runc-v2} of the release, through the {@code runc} handler. */
class CriRuncV2IT extends CriPodTests {
    @Override
    Shim shim() {
        return Shim.RUNC_V2;
    }

    @Override
    String handler() {
        return "runc";
    }

    @Override
    String optionsHandler() {
        return "runc-opts";
    }

    @Override
    String systemdHandler() {
        return "runc-systemd";
    }

    @Override
    void systemdRefusal(String description) {
        assertRefused(description); // runc's own error, whatever its words
    }
}
