package dev.stepwise.spark;

import dev.stepwise.harness.CellRunner;
import java.io.IOException;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A report folder on any Hadoop file system (file: on a shared mount, hdfs:, s3a: with its connector) as a cell's
 * sink. Each file is written under a hidden temporary name and renamed into place, so no reader sees a torn file;
 * a duplicate task (a retry, a speculative copy) writes the same bytes, and a rename that finds the file already
 * there keeps the first. Checksum files (.crc) are off: the report folder holds the report's files only.
 */
final class HadoopSink implements CellRunner.Sink {
    private final FileSystem fs;
    private final Path base;

    private HadoopSink(FileSystem fs, Path base) {
        this.fs = fs;
        this.base = base;
    }

    /**
     * @param folder   the report folder's URI
     * @param settings Hadoop settings (Spark's spark.hadoop.* without the prefix), over Hadoop's defaults
     */
    static HadoopSink open(String folder, Map<String, String> settings) throws IOException {
        Configuration conf = new Configuration();
        settings.forEach(conf::set);
        Path base = new Path(folder);
        FileSystem fs = base.getFileSystem(conf);
        fs.setWriteChecksum(false);
        fs.setVerifyChecksum(false);
        return new HadoopSink(fs, base);
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
            // A local or HDFS rename is atomic; one that finds the target there (HDFS refuses to replace) means a
            // duplicate task got there first with the same cell.
            if (!fs.rename(tmp, target) && !fs.exists(target)) {
                throw new IOException("cannot rename " + tmp + " to " + target);
            }
        } finally {
            fs.delete(tmp, false);
        }
    }

    /** Writes and removes a probe file in the folder's cells/ folder: the folder is writable, or one line says why. */
    void probe(String folder) throws IOException {
        String name = folder + "/.stepwise-probe-" + UUID.randomUUID();
        write(name, new byte[0]);
        fs.delete(new Path(base, name), false);
    }
}
