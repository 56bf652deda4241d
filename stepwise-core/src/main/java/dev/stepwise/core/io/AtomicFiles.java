package dev.stepwise.core.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes files so that no half-written file is ever visible under its name: each is written to a hidden
 * temporary file in the target's folder and renamed into place once every file of the set is complete, so a
 * failure before the renames leaves existing files untouched. Written files get the usual rw-r--r--
 * permissions (a temporary file is created owner-only).
 */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    public static void write(Path path, byte[] bytes) throws IOException {
        LinkedHashMap<Path, byte[]> one = new LinkedHashMap<>();
        one.put(path, bytes);
        write(one);
    }

    /** Writes every file of the set, renaming them into place only when all are written. */
    public static void write(Map<Path, byte[]> files) throws IOException {
        Map<Path, Path> temporaries = new LinkedHashMap<>();
        try {
            for (Map.Entry<Path, byte[]> e : files.entrySet()) {
                Path target = e.getKey().toAbsolutePath();
                Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
                temporaries.put(target, tmp);
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    out.write(e.getValue());
                }
                if (Files.getFileAttributeView(tmp, PosixFileAttributeView.class) != null) {
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
            for (Map.Entry<Path, Path> e : temporaries.entrySet()) {
                move(e.getValue(), e.getKey());
            }
        } finally {
            for (Path tmp : temporaries.values()) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // Best effort: a stray hidden .tmp file is harmless; the failure that matters is already thrown.
                }
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
