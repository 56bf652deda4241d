package dev.stepwise.spark;

import dev.stepwise.harness.CellStore;
import dev.stepwise.harness.ReportFolder;
import dev.stepwise.harness.ScoringSheet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The driver's side of a report folder that is not a local path (hdfs:, s3a:): a local staging copy that the
 * harness's resume rule ({@code Comparison.prepare}) and report ({@code CompareReport.write}) work on, kept in step
 * with the folder through Hadoop's FileSystem API. Down come what those two read: {@code plan.json}, a filled-in
 * {@code scores.csv}, the records, the samples (the summary's convergence figures and the grids are computed from
 * them) and the references; the images never do. Up go the plan, the report's files and Spark's log; what the
 * resume rule removes when it takes over another report ({@code --force}) is removed there too.
 */
final class StagedFolder {
    /** The folders whose files come down. */
    private static final List<String> PULLED = List.of(CellStore.CELLS, CellStore.SAMPLES, CellStore.REFERENCES);
    /** Written by the executors, straight into the folder: never uploaded from the stage. */
    private static final Set<String> EXECUTORS = Set.of(CellStore.CELLS, CellStore.SAMPLES, CellStore.IMAGES,
            CellStore.REFERENCES);

    private final HadoopFolder folder;
    private final Path stage;
    /** Files (relative, '/'-separated) brought down so far: those the stage holds from the folder. */
    private final Set<String> pulled = new HashSet<>();

    StagedFolder(HadoopFolder folder, Path stage) {
        this.folder = folder;
        this.stage = stage;
    }

    Path stage() {
        return stage;
    }

    HadoopFolder folder() {
        return folder;
    }

    /** Refuses a folder that holds other files and no report, as the local engine does a local one. */
    void checkNotSomeoneElses(String option, String shown) throws IOException {
        ReportFolder.checkNotSomeoneElses(option, shown, folder.list("", false));
    }

    /** Brings down what the resume rule and the report read and the stage does not hold yet. */
    void pull() throws IOException {
        pullFile(CellStore.PLAN_FILE);
        pullFile(ScoringSheet.SCORES);
        for (String sub : PULLED) {
            for (String name : folder.list(sub, true)) {
                String path = sub + "/" + name;
                if (!pulled.contains(path)) {
                    pullFile(path);
                }
            }
        }
    }

    private void pullFile(String path) throws IOException {
        byte[] bytes = folder.read(path);
        if (bytes != null) {
            Path local = stage.resolve(path);
            Files.createDirectories(local.getParent());
            Files.write(local, bytes);
            pulled.add(path);
        }
    }

    /**
     * After the resume rule: removes from the folder what it removed from the stage (another report's cells and
     * references), and with {@code replaced} that report's images and generated files; then uploads the plan.
     *
     * @param ids the ids of this plan's cells
     */
    void afterPrepare(boolean replaced, Set<String> ids) throws IOException {
        for (String path : List.copyOf(pulled)) {
            if (!Files.exists(stage.resolve(path))) {
                folder.delete(path);
                pulled.remove(path);
            }
        }
        if (replaced) {
            for (String name : folder.list(CellStore.IMAGES, true)) {
                if (!name.endsWith(".png") || !ids.contains(name.substring(0, name.length() - ".png".length()))) {
                    folder.delete(CellStore.IMAGES + "/" + name);
                }
            }
            for (String g : ReportFolder.GENERATED) {
                folder.delete(g);
            }
        }
        push(CellStore.PLAN_FILE);
    }

    /** Uploads what the driver wrote into the stage: the plan, the report's files, Spark's log. */
    void pushReport() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(stage)) {
            files = s.filter(Files::isRegularFile).sorted(Comparator.naturalOrder()).toList();
        }
        List<String> paths = new ArrayList<>();
        for (Path f : files) {
            String path = stage.relativize(f).toString().replace('\\', '/');
            String top = path.contains("/") ? path.substring(0, path.indexOf('/')) : "";
            if (!EXECUTORS.contains(top) && !path.equals(ScoringSheet.SCORES) && !f.getFileName().toString().startsWith(".")) {
                paths.add(path);
            }
        }
        for (String path : paths) {
            push(path);
        }
    }

    /** Uploads Spark's log (what it holds so far); a failure to do so is not the run's. */
    void pushLog(String log) {
        try {
            if (Files.isRegularFile(stage.resolve(log))) {
                push(log);
            }
        } catch (IOException e) {
            // The run's own outcome (success or its failure) is what the user hears; the log stays in the stage.
        }
    }

    private void push(String path) throws IOException {
        folder.write(path, Files.readAllBytes(stage.resolve(path)));
    }

    /** Removes a stage and what it holds. */
    static void remove(Path stage) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(stage)) {
            all = s.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : all) {
            Files.deleteIfExists(p);
        }
    }
}
