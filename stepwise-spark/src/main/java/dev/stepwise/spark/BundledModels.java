package dev.stepwise.spark;

import dev.stepwise.harness.ModelFolders;
import dev.stepwise.harness.ModelSources;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The built-in models (the repository's {@code models/}: fashion-eps, fashion-flow, the classifier, the held-out
 * images, about 6 MB) inside the job jar, under {@value #FOLDER}/. An executor given {@link #HOME} as its models
 * folder extracts them once per JVM into a temporary folder and opens them there, so a cluster needs no shared
 * models path for them.
 */
final class BundledModels {
    /** The models folder an executor is given for the models in its job jar. */
    static final String HOME = "stepwise-job-jar:models";
    /** Where the models are in the jar (the pom's resources). */
    static final String FOLDER = "stepwise-models";

    private static Path extracted;

    private BundledModels() {
    }

    /** Whether the jar holds the model that a plan names (a name under the models folder, not a path or a mixture). */
    static boolean has(String model) {
        return !ModelSources.isMixture(model) && !ModelFolders.looksLikePath(model)
                && BundledModels.class.getResource("/" + FOLDER + "/" + model + "/model.json") != null;
    }

    /** The models folder for an executor's {@code modelsHome}: the jar's models (extracted once), or the path. */
    static Path home(String modelsHome) {
        return HOME.equals(modelsHome) ? extract() : Path.of(modelsHome);
    }

    /** The jar's models in a local folder, extracted on the first call; removed when the JVM exits. */
    static synchronized Path extract() {
        if (extracted == null) {
            try {
                Path dir = Files.createTempDirectory("stepwise-models-");
                Runtime.getRuntime().addShutdownHook(new Thread(() -> remove(dir), "stepwise-remove-models"));
                copy(dir);
                extracted = dir;
            } catch (IOException e) {
                throw new TaskFailure("host " + ExecutorModels.host() + ": cannot extract the job jar's models: "
                        + SparkCompare.oneLine(e));
            }
        }
        return extracted;
    }

    /** Copies the models from where this class was loaded: the job jar, or (tests) the classes folder. */
    private static void copy(Path dir) throws IOException {
        Path source;
        try {
            source = Path.of(BundledModels.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        if (Files.isDirectory(source)) {
            Path root = source.resolve(FOLDER);
            List<Path> files;
            try (Stream<Path> s = Files.walk(root)) {
                files = s.filter(Files::isRegularFile).toList();
            }
            for (Path f : files) {
                Path to = dir.resolve(root.relativize(f).toString());
                Files.createDirectories(to.getParent());
                Files.copy(f, to);
            }
            return;
        }
        try (JarFile jar = new JarFile(source.toFile())) {
            for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                JarEntry entry = e.nextElement();
                String name = entry.getName();
                if (entry.isDirectory() || !name.startsWith(FOLDER + "/")) {
                    continue;
                }
                Path to = dir.resolve(name.substring(FOLDER.length() + 1)).normalize();
                if (!to.startsWith(dir)) {
                    throw new IOException("jar entry " + name + " is outside the models folder");
                }
                Files.createDirectories(to.getParent());
                try (InputStream in = jar.getInputStream(entry)) {
                    Files.copy(in, to);
                }
            }
        }
    }

    private static void remove(Path dir) {
        try {
            StagedFolder.remove(dir);
        } catch (IOException | UncheckedIOException e) {
            // A temporary folder left behind; the JVM is going away.
        }
    }
}
