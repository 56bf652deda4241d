package dev.stepwise.cli;

import dev.stepwise.core.io.AtomicFiles;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks a command's output paths before any work starts, so that a bad one costs the user nothing and no
 * output of a set is written without the others. Files are written with {@link AtomicFiles}: an existing
 * output must be a regular file (or a symbolic link to one, written through); a device, FIFO, socket or folder
 * is refused with one line, never replaced.
 */
final class Outputs {
    /** What --help says of an output file (a compile-time constant, for option descriptions). */
    static final String FILE_RULE = " An existing file is replaced atomically (written in full, then renamed); a"
            + " symbolic link is written through to the file it points to; a device, FIFO, socket or folder is refused.";

    private Outputs() {
    }

    /** An output file: its folder must exist, and an existing path must be a regular file or a link to one. */
    static void checkFile(String option, Path out, String example) {
        if (Files.isDirectory(out)) {
            throw new UsageException(option + " '" + out + "' is a folder; give a file name such as " + example);
        }
        try {
            AtomicFiles.target(out);
        } catch (IllegalArgumentException e) {
            throw new UsageException(option + ": " + e.getMessage());
        }
    }

    /** An output folder: an existing path must be a folder (or a link to one); a missing one is created later. */
    static void checkFolder(String option, Path dir) {
        try {
            AtomicFiles.checkFolder(dir);
        } catch (IllegalArgumentException e) {
            throw new UsageException(option + ": " + e.getMessage());
        }
    }
}
