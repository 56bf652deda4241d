package dev.stepwise.spark;

import dev.stepwise.harness.Cell;
import dev.stepwise.harness.CellRunner;
import dev.stepwise.harness.CellStore;
import dev.stepwise.harness.Comparison;
import dev.stepwise.harness.Limits;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.harness.ModelSource;
import dev.stepwise.harness.ModelSources;
import dev.stepwise.harness.Plan;
import dev.stepwise.harness.PlanCheck;
import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.OnnxSessions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * What one executor JVM holds across its tasks: each model opened once (one ONNX session per model and device,
 * shared by the tasks running at once, as the local engine's workers share one), and each plan's cells, ids and
 * cell runner. The sessions close when the JVM shuts down.
 */
final class ExecutorModels {
    /** The plan was checked on the driver, against the user's limits: the executor expands it as it is. */
    private static final Limits UNLIMITED = new Limits(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE,
            Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, "--limit");
    private static final Map<String, ModelSource> SOURCES = new ConcurrentHashMap<>();
    private static final Map<String, Prepared> PLANS = new ConcurrentHashMap<>();
    private static final Map<String, ReferenceStage> REFERENCES = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            SOURCES.values().forEach(ModelSource::close);
            for (ReferenceStage r : REFERENCES.values()) {
                try {
                    StagedFolder.remove(r.home());
                } catch (IOException e) {
                    // A temporary folder left behind; the JVM is going away.
                }
            }
        }, "stepwise-close-models"));
    }

    /**
     * This executor's copy of the reference solves of a report folder that is not local: the cell runner reads and
     * writes its references in a local folder, and what it solves is uploaded for the other executors and the report.
     *
     * @param home     a local folder whose references/ the runner uses
     * @param uploaded names of the reference files the report folder holds
     */
    private record ReferenceStage(Path home, Set<String> uploaded) {
    }

    /** The local folder whose references/ stands for those of {@code folder} (a folder that is not local), once. */
    static Path referencesHome(HadoopFolder folder) throws IOException {
        try {
            return REFERENCES.computeIfAbsent(folder.uri(), u -> {
                try {
                    Path home = Files.createTempDirectory("stepwise-spark-references-");
                    Path dir = Files.createDirectories(home.resolve(CellStore.REFERENCES));
                    Set<String> there = ConcurrentHashMap.newKeySet();
                    for (String name : folder.list(CellStore.REFERENCES, true)) {
                        byte[] bytes = folder.read(CellStore.REFERENCES + "/" + name);
                        if (bytes != null) {
                            Files.write(dir.resolve(name), bytes);
                            there.add(name);
                        }
                    }
                    return new ReferenceStage(home, there);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).home();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Uploads the reference solves this executor made for {@code folder} that it has not uploaded yet. */
    static void pushReferences(HadoopFolder folder) throws IOException {
        ReferenceStage r = REFERENCES.get(folder.uri());
        List<Path> files;
        try (Stream<Path> s = Files.list(r.home().resolve(CellStore.REFERENCES))) {
            files = s.filter(f -> !f.getFileName().toString().startsWith(".")).toList();
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            if (!r.uploaded().contains(name)) {
                folder.write(CellStore.REFERENCES + "/" + name, Files.readAllBytes(f));
                r.uploaded().add(name);
            }
        }
    }

    private ExecutorModels() {
    }

    /** A plan ready to run on this executor: its cells and their ids, the model and the runner. */
    record Prepared(Plan plan, List<Cell> cells, List<String> ids, ModelSource source, CellRunner runner) {
    }

    /**
     * The plan's cells on its model, opened on the device of {@code options}.
     *
     * @param modelsHome where this executor finds model names: a path, or {@link BundledModels#HOME}
     * @param driverKey  the model's key on the driver: an executor whose model differs (other files at the same
     *                   path) must not write cells under the driver's ids
     * @param folder     the report folder, a local path on this executor, or the {@link #referencesHome} standing
     *                   for it (its references cache)
     * @throws TaskFailure one line naming this host, for a model it cannot read or one unlike the driver's
     */
    static Prepared prepare(PlanText text, String modelsHome, String driverKey, Path folder, OnnxOptions options) {
        String key = text.key() + "|" + modelsHome + "|" + TaskDevice.describe(options) + "|" + folder;
        return PLANS.computeIfAbsent(key, k -> {
            Plan plan = text.plan();
            Path home = BundledModels.home(modelsHome);
            ModelSource source = SOURCES.computeIfAbsent(plan.model() + "|" + modelsHome + "|"
                    + TaskDevice.describe(options), s -> open(plan, home, options));
            if (!source.key().equals(driverKey)) {
                throw new TaskFailure("host " + host() + ": model '" + plan.model() + "' is " + source.key()
                        + " here but " + driverKey + " on the driver; every executor needs the same model files");
            }
            List<Cell> cells = PlanCheck.check(plan, home, UNLIMITED);
            CellRunner runner = new CellRunner(plan, cells, source, folder.resolve(CellStore.REFERENCES));
            return new Prepared(plan, cells, Comparison.ids(plan, cells, source), source, runner);
        });
    }

    private static ModelSource open(Plan plan, Path home, OnnxOptions options) {
        if (!ModelSources.isMixture(plan.model())) {
            Path dir = ModelFolders.looksLikePath(plan.model()) ? Path.of(plan.model()) : home.resolve(plan.model());
            Path config = dir.resolve("model.json");
            if (!Files.isReadable(config)) {
                throw new TaskFailure("host " + host() + ": cannot read model folder " + dir.toAbsolutePath()
                        + " (its model.json); put it on storage every executor mounts at that path, or give"
                        + " --conf " + SparkCompare.MODELS_CONF + "=DIR where the executors find the models");
            }
            if (options.device() == OnnxOptions.Device.CUDA && !OnnxSessions.cudaAvailable()) {
                throw new TaskFailure("host " + host() + ": Spark gave the task GPU " + options.cudaDevice() + " but "
                        + OnnxSessions.CUDA_UNAVAILABLE);
            }
        }
        try {
            return ModelSources.open(plan, home, options);
        } catch (RuntimeException e) {
            throw new TaskFailure("host " + host() + ": " + e.getMessage());
        }
    }

    static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown host";
        }
    }
}
