package dev.stepwise.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Path fifo(Path p) throws IOException, InterruptedException {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).redirectErrorStream(true).start();
        Assumptions.assumeTrue(mk.waitFor() == 0, "mkfifo is not available here");
        return p;
    }

    private long entries() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void replacesARegularFileAndLeavesNoTemporary() throws IOException {
        Path f = dir.resolve("a.txt");
        Files.write(f, bytes("old"));
        AtomicFiles.write(f, bytes("new"));
        assertArrayEquals(bytes("new"), Files.readAllBytes(f));
        assertEquals(1, entries());
    }

    @Test
    void refusesAFifoAndLeavesItAFifo() throws Exception {
        Path f = fifo(dir.resolve("pipe"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AtomicFiles.write(f, bytes("x")));
        assertTrue(e.getMessage().contains("FIFO") && e.getMessage().contains(f.toString()), e.getMessage());
        assertFalse(Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS), "the FIFO was replaced");
        assertTrue(Files.exists(f, LinkOption.NOFOLLOW_LINKS));
        assertEquals(1, entries(), "a temporary file was left behind");
    }

    @Test
    void refusesADeviceWithoutWriting() {
        Path dev = Path.of("/dev/null");
        Assumptions.assumeTrue(Files.exists(dev) && !Files.isRegularFile(dev), "no /dev/null device here");
        // target() only checks; nothing is written to /dev, whatever it answers.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AtomicFiles.target(dev));
        assertTrue(e.getMessage().contains("character device"), e.getMessage());
    }

    @Test
    void refusesAFolder() throws IOException {
        Path d = Files.createDirectory(dir.resolve("d"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AtomicFiles.write(d, bytes("x")));
        assertTrue(e.getMessage().contains("a folder"), e.getMessage());
        assertTrue(Files.isDirectory(d));
    }

    @Test
    void writesThroughASymbolicLinkAndKeepsTheLink() throws IOException {
        Path real = dir.resolve("real.txt");
        Files.write(real, bytes("old"));
        Path link = Files.createSymbolicLink(dir.resolve("link.txt"), Path.of("real.txt"));   // relative link
        AtomicFiles.write(link, bytes("new"));
        assertTrue(Files.isSymbolicLink(link), "the link was replaced by a file");
        assertArrayEquals(bytes("new"), Files.readAllBytes(real));
        assertEquals(2, entries());
    }

    @Test
    void aDanglingLinkCreatesItsTarget() throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("link.txt"), dir.resolve("later.txt"));
        AtomicFiles.write(link, bytes("x"));
        assertTrue(Files.isSymbolicLink(link));
        assertArrayEquals(bytes("x"), Files.readAllBytes(dir.resolve("later.txt")));
    }

    @Test
    void aLinkToAFifoOrALoopIsRefused() throws Exception {
        Path f = fifo(dir.resolve("pipe"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AtomicFiles.write(link, bytes("x")));
        assertTrue(e.getMessage().contains("through a link to " + f), e.getMessage());
        Path a = dir.resolve("a"), b = dir.resolve("b");
        Files.createSymbolicLink(a, b);
        Files.createSymbolicLink(b, a);
        e = assertThrows(IllegalArgumentException.class, () -> AtomicFiles.write(a, bytes("x")));
        assertTrue(e.getMessage().contains("too many levels of symbolic links"), e.getMessage());
    }

    @Test
    void aSetWithOneBadTargetWritesNothing() throws IOException {
        Path good = dir.resolve("o.npy");
        Path side = Files.createDirectory(dir.resolve("o.npy.json"));   // the sidecar's name is taken by a folder
        Map<Path, byte[]> files = new LinkedHashMap<>();
        files.put(good, bytes("samples"));
        files.put(side, bytes("{}"));
        assertThrows(IllegalArgumentException.class, () -> AtomicFiles.write(files));
        assertFalse(Files.exists(good), "the first file of the set was written without the second");
        assertEquals(1, entries());
    }

    @Test
    void aMissingFolderIsNamed() {
        Path f = dir.resolve("nope").resolve("x.txt");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AtomicFiles.write(f, bytes("x")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void foldersAreCreatedOrReusedButNeverReplaceSomethingElse() throws Exception {
        Path made = AtomicFiles.createFolder(dir.resolve("a").resolve("b"));
        assertTrue(Files.isDirectory(made));
        AtomicFiles.createFolder(made);   // reused
        Path file = Files.write(dir.resolve("file"), bytes("x"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AtomicFiles.createFolder(file));
        assertTrue(e.getMessage().contains("is a file"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AtomicFiles.createFolder(file.resolve("sub")));
        assertTrue(e.getMessage().contains("is not a folder"), e.getMessage());
        Path f = fifo(dir.resolve("pipe"));
        e = assertThrows(IllegalArgumentException.class, () -> AtomicFiles.createFolder(f));
        assertTrue(e.getMessage().contains("FIFO"), e.getMessage());
        Path linkToFolder = Files.createSymbolicLink(dir.resolve("lf"), made);
        AtomicFiles.createFolder(linkToFolder);   // a link to a folder is followed
        assertTrue(Files.isSymbolicLink(linkToFolder));
    }
}
