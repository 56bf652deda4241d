package dev.stepwise.spark;

import dev.stepwise.harness.CellRunner;
import dev.stepwise.harness.CellStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A report folder on any Hadoop file system (file: on a shared mount, hdfs:, s3a: with its connector): a cell's
 * sink on the executors, and what the driver lists, reads and writes for a report folder that is not a local path.
 * Each file is written under a hidden temporary name and renamed into place, so no reader sees a torn file;
 * a duplicate task (a retry, a speculative copy) writes the same bytes, and a rename that finds the file already
 * there keeps the first. Checksum files (.crc) are off: the report folder holds the report's files only.
 */
final class HadoopFolder implements CellRunner.Sink {
    private final FileSystem fs;
    private final Path base;

    private HadoopFolder(FileSystem fs, Path base) {
        this.fs = fs;
        this.base = base;
    }

    /**
     * @param folder   the report folder's URI
     * @param settings Hadoop settings (Spark's spark.hadoop.* without the prefix), over Hadoop's defaults
     */
    static HadoopFolder open(String folder, Map<String, String> settings) throws IOException {
        Configuration conf = new Configuration();
        settings.forEach(conf::set);
        Path base = new Path(folder);
        FileSystem fs = base.getFileSystem(conf);
        fs.setWriteChecksum(false);
        fs.setVerifyChecksum(false);
        return new HadoopFolder(fs, base);
    }

    /** The folder as a local path when its file system is the local one ({@code file:}), else null. */
    java.nio.file.Path localPath() {
        return "file".equals(fs.getUri().getScheme()) ? java.nio.file.Path.of(fs.makeQualified(base).toUri()) : null;
    }

    /** The folder's URI, as Hadoop qualifies it. */
    String uri() {
        return fs.makeQualified(base).toString();
    }

    /** Whether the file at {@code path} (relative to the folder, '/'-separated) exists. */
    boolean exists(String path) throws IOException {
        return fs.exists(new Path(base, path));
    }

    @Override
    public void write(String path, byte[] bytes) throws IOException {
        Path target = new Path(base, path);
        Path tmp = new Path(target.getParent(), "." + target.getName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (FSDataOutputStream out = fs.create(tmp, false)) {
                out.write(bytes);
            }
            // A local or HDFS rename is atomic. One that finds the target there (HDFS refuses to replace) means, for
            // a cell's file, that a duplicate task got there first with the same bytes (the first is kept); a
            // report file (the summary, a grid) replaces the one an earlier run wrote.
            if (!fs.rename(tmp, target)) {
                boolean inPlace = fs.exists(target) && (isCellFile(path) || (fs.delete(target, false)
                        && fs.rename(tmp, target)));
                if (!inPlace) {
                    throw new IOException("cannot rename " + tmp + " to " + target);
                }
            }
        } finally {
            fs.delete(tmp, false);
        }
    }

    private static boolean isCellFile(String path) {
        return path.startsWith(CellStore.CELLS + "/") || path.startsWith(CellStore.SAMPLES + "/")
                || path.startsWith(CellStore.IMAGES + "/") || path.startsWith(CellStore.REFERENCES + "/");
    }

    /** The file at {@code path}, or null when there is none. */
    byte[] read(String path) throws IOException {
        try (InputStream in = fs.open(new Path(base, path))) {
            return in.readAllBytes();
        } catch (FileNotFoundException e) {
            return null;
        }
    }

    /**
     * The names of the files and folders directly in {@code folder} (relative to the report folder, "" for itself),
     * hidden ones (a write's temporaries) left out; none when it is missing.
     *
     * @param filesOnly leave folders out
     */
    List<String> list(String folder, boolean filesOnly) throws IOException {
        List<String> out = new ArrayList<>();
        FileStatus[] entries;
        try {
            entries = fs.listStatus(folder.isEmpty() ? base : new Path(base, folder));
        } catch (FileNotFoundException e) {
            return out;
        }
        for (FileStatus s : entries) {
            String name = s.getPath().getName();
            if (!name.startsWith(".") && (!filesOnly || s.isFile())) {
                out.add(name);
            }
        }
        return out;
    }

    /** Removes the file or folder (with what it holds) at {@code path}; nothing when it is not there. */
    void delete(String path) throws IOException {
        fs.delete(new Path(base, path), true);
    }

    /** Writes and removes a probe file in the folder's cells/ folder: the folder is writable, or one line says why. */
    void probe(String folder) throws IOException {
        String name = folder + "/.stepwise-probe-" + UUID.randomUUID();
        write(name, new byte[0]);
        fs.delete(new Path(base, name), false);
    }
}
