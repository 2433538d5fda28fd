package jrunc.doctor.node;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import jrunc.core.spi.FileStat;
import jrunc.core.spi.OperatingSystem;

/**
 * {@code rm -r} that cannot leave the tree it was given: every step is relative to an open directory
 * ({@link SecureDirectoryStream}: openat/unlinkat), links are removed and never followed (the bundle's {@code work}
 * link points into containerd's root), and a directory on another mount than the top one (a bind mount, even of
 * the same file system: the mount ids differ) stops the removal before anything under it is touched.
 */
final class TreeRemover {
    private final OperatingSystem os;

    TreeRemover(OperatingSystem os) {
        this.os = os;
    }

    void remove(Path dir) throws IOException {
        FileStat top = os.lstat(dir);
        if (!top.isDirectory()) throw new IOException(dir + " is a " + top.type().description() + ", not a directory");
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            if (!(ds instanceof SecureDirectoryStream<Path> sds)) {
                throw new IOException("no openat-based directory stream on this platform: " + dir + " not removed");
            }
            removeContents(sds, dir, top);
        }
        Files.delete(dir);
    }

    private void removeContents(SecureDirectoryStream<Path> sds, Path path, FileStat top) throws IOException {
        List<Path> names = new ArrayList<>();
        for (Path entry : sds) names.add(entry.getFileName());
        for (Path name : names) {
            BasicFileAttributes a = sds.getFileAttributeView(name, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .readAttributes();
            if (a.isDirectory()) {
                Path full = path.resolve(name);
                FileStat st = os.lstat(full);
                if (!st.sameMount(top)) throw new IOException(full + " is another mount: nothing under it is removed");
                try (SecureDirectoryStream<Path> child = sds.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
                    removeContents(child, full, top);
                }
                sds.deleteDirectory(name);
            } else {
                sds.deleteFile(name);
            }
        }
    }
}
