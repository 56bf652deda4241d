package dev.stepwise.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a group of files so that none appears half-written: every file's bytes go to a temporary file
 * beside it first, and only when all of them are complete are they renamed into place. A failure before the
 * renames leaves existing files untouched.
 */
final class AtomicFiles {
    private AtomicFiles() {
    }

    static void write(LinkedHashMap<Path, byte[]> files) throws IOException {
        Map<Path, Path> temporaries = new LinkedHashMap<>();
        try {
            for (Map.Entry<Path, byte[]> e : files.entrySet()) {
                Path target = e.getKey().toAbsolutePath();
                Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
                temporaries.put(target, tmp);
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    out.write(e.getValue());
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
