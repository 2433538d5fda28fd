package jrunc.core.manager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jrunc.proto.runc.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuncOptionsFileTest {
    @TempDir
    Path dir;

    private static RuncOptionsFile.Read parse(String text) {
        return RuncOptionsFile.parse("runc.toml", text);
    }

    private static String error(String text) {
        return assertThrows(IllegalArgumentException.class, () -> parse(text)).getMessage();
    }

    @Test
    void everyRuncOptionIsReadUnderItsGoOrProtoName() {
        Options o = parse("""
                NoPivotRoot = true
                no_new_keyring = true
                ShimCgroup = "/shim"
                IoUid = 1000
                io_gid = 4294967294
                binary_name = '/opt/runc'
                root = "/run/r"
                CriuPath = "/criu"
                SYSTEMDCGROUP = false
                CriuImagePath = "/img"
                CriuWorkPath = "/work"
                TaskApiAddress = "unix:///t"
                TaskApiVersion = 3
                """).options();
        assertEquals(Options.newBuilder().setNoPivotRoot(true).setNoNewKeyring(true).setShimCgroup("/shim")
                .setIoUid(1000).setIoGid(-2).setBinaryName("/opt/runc").setRoot("/run/r").setCriuPath("/criu")
                .setCriuImagePath("/img").setCriuWorkPath("/work").setTaskApiAddress("unix:///t").setTaskApiVersion(3)
                .build(), o);
    }

    @Test
    void commentsBlankLinesEscapesAndQuotedKeysAreTomls() {
        RuncOptionsFile.Read read = parse("""
                # jrunc's runc options

                "BinaryName" = "/opt/r\\u0075nc\\t" # trailing comment
                Root="/run/with \\"quotes\\""
                """);
        assertEquals("/opt/runc\t", read.options().getBinaryName());
        assertEquals("/run/with \"quotes\"", read.options().getRoot());
        assertEquals(List.of(), read.warnings());
    }

    @Test
    void unknownKeysAndTablesAreWarningsNotErrors() {
        RuncOptionsFile.Read read = parse("""
                Runtime = "kata"
                [runsc_config]
                Root = "/ignored"
                """);
        assertEquals(Options.getDefaultInstance(), read.options());
        assertEquals(2, read.warnings().size());
        assertTrue(read.warnings().get(0).contains("unknown runc option Runtime"), read.warnings().toString());
        assertTrue(read.warnings().get(1).contains("[runsc_config]"), read.warnings().toString());
    }

    @Test
    void theJruncTableSetsTheGroupingAndIsNoRuncOption() {
        RuncOptionsFile.Read read = parse("""
                BinaryName = "/usr/sbin/runc"
                [jrunc]
                grouping = "node"
                """);
        assertEquals("/usr/sbin/runc", read.options().getBinaryName());
        assertEquals(ShimConfig.Grouping.NODE, read.shim().grouping());
        assertEquals(List.of(), read.warnings());
        assertEquals(ShimConfig.Grouping.NAMESPACE, parse("[jrunc]\nGrouping = 'Namespace'").shim().grouping());
        assertEquals(ShimConfig.DEFAULT, parse("BinaryName = \"runc\"").shim(), "no table: one daemon per pod");
    }

    @Test
    void theWarmSpareIsOffUnlessTheHandlerAsksForItWithABoundedIdleTime() {
        assertFalse(ShimConfig.DEFAULT.spare(), "no table: no spare");
        assertEquals(ShimConfig.DEFAULT_SPARE_IDLE, ShimConfig.DEFAULT.spareIdle());
        ShimConfig on = parse("[jrunc]\nspare = true\nspare_idle_seconds = 30").shim();
        assertTrue(on.spare());
        assertEquals(java.time.Duration.ofSeconds(30), on.spareIdle());
        assertEquals(ShimConfig.Grouping.POD, on.grouping());
        assertFalse(parse("[jrunc]\nspare = false").shim().spare());
        assertTrue(error("[jrunc]\nspare = \"yes\"").contains("spare must be true or false"));
        assertTrue(error("[jrunc]\nspare_idle_seconds = 0").contains("spare_idle_seconds must be from 1 to 86400"));
        assertTrue(error("[jrunc]\nspare_idle_seconds = 86401").contains("must be from 1 to 86400"));
    }

    @Test
    void aGroupingJruncDoesNotKnowIsAnErrorAndAnUnknownSettingAWarning() {
        assertTrue(error("[jrunc]\ngrouping = \"rack\"").contains("runc.toml:2: grouping must be \"pod\", \"namespace\" or \"node\""));
        assertTrue(error("[jrunc]\ngrouping = true").contains("grouping must be a string"));
        RuncOptionsFile.Read read = parse("[jrunc]\nspares = 2");
        assertEquals(List.of("runc.toml:2: unknown jrunc setting spares ignored"), read.warnings());
    }

    @Test
    void aValueOfTheWrongTypeNamesTheKeyAndLine() {
        assertTrue(error("\nSystemdCgroup = \"yes\"\n").contains("runc.toml:2: SystemdCgroup must be true or false"));
        assertTrue(error("BinaryName = true").contains("BinaryName must be a string"));
        assertTrue(error("IoUid = -1").contains("IoUid must be an integer"));
        assertTrue(error("IoUid = 4294967296").contains("IoUid must be an integer"));
    }

    @Test
    void brokenSyntaxIsAnError() {
        assertTrue(error("BinaryName \"runc\"").contains("expected '='"));
        assertTrue(error("BinaryName = \"runc").contains("unterminated string"));
        assertTrue(error("BinaryName = runc").contains("unsupported value runc"));
        assertTrue(error("a.b = 1").contains("dotted keys"));
        assertTrue(error("Root = \"/r\" extra").contains("unexpected text"));
        assertTrue(error("Root = \"\\q\"").contains("unknown escape"));
    }

    @Test
    void theFileMustBeARegularFileOfModestSize() throws Exception {
        String fifo = assertThrows(IllegalArgumentException.class, () -> RuncOptionsFile.read(dir)).getMessage();
        assertTrue(fifo.contains("not a regular file"), fifo);

        Path huge = Files.write(dir.resolve("huge.toml"), new byte[RuncOptionsFile.MAX_BYTES + 1]);
        String big = assertThrows(IllegalArgumentException.class, () -> RuncOptionsFile.read(huge)).getMessage();
        assertTrue(big.contains("larger than"), big);

        Path latin1 = Files.write(dir.resolve("latin1.toml"), new byte[] {'R', 'o', 'o', 't', '=', '"', (byte) 0xe9, '"'});
        String notUtf8 = assertThrows(IllegalArgumentException.class, () -> RuncOptionsFile.read(latin1)).getMessage();
        assertTrue(notUtf8.contains("not UTF-8"), notUtf8);
    }

    @Test
    void aSymlinkToTheOperatorsFileIsFollowed() throws Exception {
        Path real = Files.writeString(dir.resolve("real.toml"), "Root = \"/run/linked\"\n");
        Path link = Files.createSymbolicLink(dir.resolve("link.toml"), real);
        assertEquals("/run/linked", RuncOptionsFile.read(link).options().getRoot());
    }
}
