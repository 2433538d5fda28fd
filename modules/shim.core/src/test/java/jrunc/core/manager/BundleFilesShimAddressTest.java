package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a bundle names its shim's socket: the address file, or containerd 2.x's bootstrap.json. */
class BundleFilesShimAddressTest {
    private static final String ADDRESS = "unix:///run/containerd/s/73377e22aa85";

    @TempDir
    Path bundle;

    @Test
    void theBundleReaderFindsAGo2xShimsSocketInBootstrapJson() throws Exception {
        BundleReader reader = new BundleReader(new FakeOs());
        assertEquals(Optional.empty(), reader.address(bundle));
        Files.writeString(bundle.resolve(BundleFiles.BOOTSTRAP), "{\"version\":3,\"address\":\"" + ADDRESS + "\",\"protocol\":\"ttrpc\"}");
        assertEquals(Optional.of(ADDRESS), reader.address(bundle));
        BundleFiles.writeAddress(bundle, "unix:///run/containerd/s/written");
        assertEquals(Optional.of("unix:///run/containerd/s/written"), reader.address(bundle));
    }

    @Test
    void theAddressFileWins() {
        assertEquals(ADDRESS, BundleFiles.shimAddress(ADDRESS, "{\"address\":\"unix:///elsewhere\"}"));
    }

    @Test
    void withoutOneContainerd2sBootstrapJsonNamesTheSocketAsGo2xShimsLeaveIt() {
        String bootstrap = "{\"version\":3,\"address\":\"" + ADDRESS + "\",\"protocol\":\"ttrpc\"}";
        assertEquals(ADDRESS, BundleFiles.shimAddress(null, bootstrap));
    }

    @Test
    void neitherFileOrNoAddressInItOrNotJsonMeansNone() {
        assertNull(BundleFiles.shimAddress(null, null));
        assertNull(BundleFiles.shimAddress(null, "{\"version\":3,\"metadata\":{\"address\":\"x\"}}"));
        assertNull(BundleFiles.shimAddress(null, "{\"address\":3}"));
        assertNull(BundleFiles.shimAddress(null, "not json"));
        assertNull(BundleFiles.shimAddress(null, "[\"address\"]"));
    }
}
