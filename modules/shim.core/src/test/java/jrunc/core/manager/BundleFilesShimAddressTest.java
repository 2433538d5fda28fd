package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Where a bundle names its shim's socket: the address file, or containerd 2.x's bootstrap.json. */
class BundleFilesShimAddressTest {
    private static final String ADDRESS = "unix:///run/containerd/s/73377e22aa85";

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
