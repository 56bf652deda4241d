package dev.stepwise.core.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes files so that no half-written file is ever visible under its name: each is written to a hidden
 * temporary file in the target's folder and renamed into place once every file of the set is complete, so a
 * failure before the renames leaves existing files untouched. Written files get the usual rw-r--r--
 * permissions (a temporary file is created owner-only).
 *
 * <p>A rename replaces whatever has the target's name, so the targets are checked first, all of them before
 * anything is written: an existing target must be a regular file (a device, FIFO, socket or folder is refused,
 * never replaced), and a symbolic link is written through, replacing the file it points to and keeping the
 * link, as a shell's {@code >} would. A refused target is an {@link IllegalArgumentException} with one line
 * naming the path (bad input, not a failure of the disk).
 */
public final class AtomicFiles {
    /** Links followed before a path is taken as a loop (Linux's own limit for one lookup). */
    private static final int MAX_LINKS = 40;

    private AtomicFiles() {
    }

    public static void write(Path path, byte[] bytes) throws IOException {
        LinkedHashMap<Path, byte[]> one = new LinkedHashMap<>();
        one.put(path, bytes);
        write(one);
    }

    /** Writes every file of the set, renaming them into place only when all are written. */
    public static void write(Map<Path, byte[]> files) throws IOException {
        Map<Path, byte[]> targets = new LinkedHashMap<>();
        for (Map.Entry<Path, byte[]> e : files.entrySet()) {
            targets.put(target(e.getKey()), e.getValue());
        }
        Map<Path, Path> temporaries = new LinkedHashMap<>();
        try {
            for (Map.Entry<Path, byte[]> e : targets.entrySet()) {
                Path target = e.getKey();
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

    /**
     * Checks that {@code path} can be written as a file and returns the absolute path a write replaces: the path
     * itself, or, through symbolic links, the file they point to (which may not exist yet). Use it to check every
     * output of a command before any work starts.
     *
     * @throws IllegalArgumentException when an existing target is not a regular file, its folder does not exist,
     *                                  or the links loop
     */
    public static Path target(Path path) {
        Path p = path.toAbsolutePath().normalize();
        for (int links = 0; ; links++) {
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                a = null;   // nothing there yet: a new file
            }
            if (a == null) {
                break;
            }
            if (a.isSymbolicLink()) {
                if (links == MAX_LINKS) {
                    throw new IllegalArgumentException("output '" + path + "': too many levels of symbolic links");
                }
                try {
                    p = p.resolveSibling(Files.readSymbolicLink(p)).normalize();
                } catch (IOException e) {
                    throw new IllegalArgumentException("output '" + path + "': cannot read the symbolic link " + p
                            + " (" + e.getMessage() + ")");
                }
                continue;
            }
            if (!a.isRegularFile()) {
                throw new IllegalArgumentException("output '" + path + "'" + (p.equals(path.toAbsolutePath().normalize())
                        ? "" : " (through a link to " + p + ")") + " is " + kind(p, a)
                        + ", not a regular file; give the path of a file to create or replace");
            }
            break;
        }
        Path dir = p.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("output '" + path + "': the folder " + dir + " does not exist");
        }
        return p;
    }

    /**
     * Checks that {@code path} is a folder or can be made one: an existing path (through links) must be a folder.
     *
     * @throws IllegalArgumentException naming the path and what it is instead
     */
    public static void checkFolder(Path path) {
        Path abs = path.toAbsolutePath().normalize();
        if (Files.isSymbolicLink(abs) && !Files.exists(abs)) {
            throw new IllegalArgumentException("output folder '" + path + "' is a symbolic link to a missing folder");
        }
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(abs, BasicFileAttributes.class);
            } catch (IOException e) {
                a = null;
            }
            throw new IllegalArgumentException("output folder '" + path + "' is " + (a == null ? "not a folder" : kind(abs, a))
                    + "; give a folder to create or reuse");
        }
        for (Path p = abs.getParent(); p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) {
                    throw new IllegalArgumentException("output folder '" + path + "': " + p + " is not a folder");
                }
                break;
            }
        }
    }

    /**
     * Creates a folder and its missing parents after {@link #checkFolder}: an existing one is reused; a path that
     * exists as anything else is refused with one line, never an exception naming a Java class.
     */
    public static Path createFolder(Path path) throws IOException {
        checkFolder(path);
        return Files.createDirectories(path);
    }

    private static String kind(Path p, BasicFileAttributes a) {
        if (a.isDirectory()) {
            return "a folder";
        }
        if (a.isRegularFile()) {
            return "a file";
        }
        try {
            // The "unix" view (Linux, macOS) has st_mode; its file-type bits tell the "other" kinds apart.
            int type = ((Integer) Files.getAttribute(p, "unix:mode")) & 0170000;
            switch (type) {
                case 0020000: return "a character device";
                case 0060000: return "a block device";
                case 0010000: return "a FIFO (named pipe)";
                case 0140000: return "a socket";
                default: break;
            }
        } catch (IOException | RuntimeException e) {
            // No unix view on this platform: say what it could be.
        }
        return "a device, FIFO or socket";
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
