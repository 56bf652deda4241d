package dev.stepwise.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Whose report a folder holds, and what replacing it removes. A run resumes a folder only when its
 * {@code plan.json} records the same plan (the fields that decide the cells) on the same model (by the
 * content digest of its files, {@link ModelSource#key()}); anything else would put the earlier report's cells,
 * references and figures next to the new ones. Report-only settings (name, drop_slowest, parallel, checklist)
 * and the model's spelling (a moved folder or spec file with the same content) may change between runs.
 */
public final class ReportFolder {
    /** The plan fields that decide the cells, as {@code plan.json} writes them. */
    static final List<String> CELL_FIELDS = List.of("samplers", "schedulers", "steps", "nfe", "cfg", "prompts", "seeds",
            "batch", "reference");
    /** The field of {@code plan.json} that records the model's key. */
    static final String MODEL_KEY = "model_key";
    /**
     * What the report step writes afresh from the cells (ReportWriter, ScoringSheet, Grids, Charts, Scatters): files
     * and folders directly in the report folder.
     */
    public static final List<String> GENERATED = List.of("cells.csv", "cells.json", "summary.csv", "summary.json",
            "summary.md", "index.html", ScoringSheet.SHEET, "grids", "plots");
    private static final int SHOWN = 60;

    private ReportFolder() {
    }

    /** A report folder that holds another plan's or model's report, which a run would silently mix with its own. */
    public static final class MismatchException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final transient Path dir;
        private final String difference;

        MismatchException(Path dir, String difference) {
            super(dir + " holds " + difference + "; replace it (the run's replace option) or use another folder");
            this.dir = dir;
            this.difference = difference;
        }

        public Path dir() {
            return dir;
        }

        /** The refusal as the command line says it: the folder, what it holds, and --force or another --out. */
        public String refusal() {
            return "--out '" + dir + "' holds " + difference + "; rerun with --force to replace it (the cells this plan"
                    + " does not share are deleted) or give another --out";
        }

        /** What the folder holds instead, e.g. "the report of another plan: seeds 1, 2 there, 1, 2, 3 here". */
        public String difference() {
            return difference;
        }
    }

    /**
     * Refuses a report folder that holds other files and no report (such as {@code --out .}): a report writes
     * cells/, images/, samples/, summary.md and more into its folder, replacing files of those names, so such a
     * folder is refused whatever the replace option says. Every engine checks its folder with this.
     *
     * @param option names the folder in the message ("--out")
     * @throws IllegalArgumentException naming the folder
     */
    public static void checkNotSomeoneElses(String option, Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            checkNotSomeoneElses(option, dir.toString(), entries.map(p -> p.getFileName().toString()).toList());
        }
    }

    /**
     * As {@link #checkNotSomeoneElses(String, Path)}, for a folder given by the names in it (a folder on another
     * file system, listed there).
     *
     * @param dir     the folder as the message names it
     * @param entries the names of the files and folders in it
     */
    public static void checkNotSomeoneElses(String option, String dir, List<String> entries) {
        if (!entries.isEmpty() && !entries.contains(CellStore.PLAN_FILE) && !entries.contains(CellStore.CELLS)) {
            throw new IllegalArgumentException(option + " '" + dir + "' is a folder with other files in it and no"
                    + " Stepwise report; give a new or empty folder for the report");
        }
    }

    /**
     * Whether a report folder as the user gave it is a local path (a path or a {@code file:} URI) rather than a URI
     * of another file system ({@code hdfs://}, {@code s3a://}), which only the Spark engine writes, through Hadoop.
     */
    public static boolean isLocal(String folder) {
        return folder.startsWith("file:") || !folder.matches("[A-Za-z][A-Za-z0-9+.-]+://.*");
    }

    /**
     * What makes the folder's report another than this plan's on this model, or empty when it is the same
     * report (resume it) or the folder holds none yet.
     *
     * @throws IOException when {@code plan.json} is there but cannot be read
     */
    public static Optional<String> difference(Path dir, Plan plan, String modelKey) throws IOException {
        Path planFile = dir.resolve(CellStore.PLAN_FILE);
        if (!Files.isRegularFile(planFile)) {
            return hasFiles(dir.resolve(CellStore.CELLS))
                    ? Optional.of("cells but no " + CellStore.PLAN_FILE + " to say whose they are") : Optional.empty();
        }
        byte[] bytes = Files.readAllBytes(planFile);
        JsonNode stored;
        try {
            stored = CellStore.parse(bytes);
        } catch (IOException e) {
            return Optional.of("a " + CellStore.PLAN_FILE + " that does not parse");
        }
        JsonNode key = stored == null ? null : stored.get(MODEL_KEY);
        if (key == null || !key.isTextual()) {
            return Optional.of("a report whose " + CellStore.PLAN_FILE + " records no model digest (an earlier stepwise's)");
        }
        if (!key.textValue().equals(modelKey)) {
            return Optional.of(modelDifference(key.textValue(), modelKey));
        }
        // The plan as it would be written, parsed back, so that both sides have the same JSON number types.
        JsonNode now = CellStore.parse(CellStore.json(CellStore.planJson(plan)));
        List<String> differing = CELL_FIELDS.stream().filter(f -> !Objects.equals(stored.get(f), now.get(f))).toList();
        if (differing.isEmpty()) {
            return Optional.empty();
        }
        String field = differing.get(0);
        String there = show(stored.get(field)), here = show(now.get(field));
        if (there.equals(here)) {
            there = shorten(String.valueOf(stored.get(field)));
            here = shorten(String.valueOf(now.get(field)));
        }
        String text = "the report of another plan: " + field + " " + there + " there, " + here + " here";
        if (differing.size() > 1) {
            text += " (" + String.join(", ", differing.subList(1, differing.size())) + " too)";
        }
        return Optional.of(text);
    }

    private static String modelDifference(String there, String here) {
        String thereName = there.contains("@") ? there.substring(0, there.lastIndexOf('@')) : there;
        String hereName = here.contains("@") ? here.substring(0, here.lastIndexOf('@')) : here;
        if (thereName.equals(hereName)) {
            return "a report of " + hereName + " as it was before its files changed (model digest " + there + " there, "
                    + here + " here)";
        }
        return "a report of another model: " + there + " there, " + here + " here";
    }

    /**
     * Removes what does not belong to the run about to replace the folder's report: cell files (JSON, samples,
     * images) whose id is not one of {@code ids}, references whose key is not one of {@code referenceKeys},
     * and everything the report step writes (it writes it again). A filled-in {@code scores.csv} is the
     * user's and stays.
     *
     * @return the cells removed
     */
    static int prune(Path dir, Set<String> ids, Set<String> referenceKeys) throws IOException {
        int removed = 0;
        for (Map.Entry<String, String> sub : Map.of(CellStore.CELLS, ".json", CellStore.SAMPLES, ".npy",
                CellStore.IMAGES, ".png").entrySet()) {
            for (Path f : files(dir.resolve(sub.getKey()))) {
                String name = f.getFileName().toString();
                boolean belongs = name.endsWith(sub.getValue())
                        && ids.contains(name.substring(0, name.length() - sub.getValue().length()));
                if (!belongs) {
                    Files.delete(f);
                    removed += sub.getKey().equals(CellStore.CELLS) ? 1 : 0;
                }
            }
        }
        for (Path f : files(dir.resolve(CellStore.REFERENCES))) {
            String name = f.getFileName().toString();
            int dot = name.lastIndexOf('.');
            if (dot < 0 || !referenceKeys.contains(name.substring(0, dot))) {
                Files.delete(f);
            }
        }
        for (String g : GENERATED) {
            deleteTree(dir.resolve(g));
        }
        return removed;
    }

    private static boolean hasFiles(Path folder) throws IOException {
        return !files(folder).isEmpty();
    }

    /** The folder's regular files, hidden ones (an atomic write's temporaries) left out; none when it is missing. */
    private static List<Path> files(Path folder) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(folder)) {
            for (Path f : s) {
                if (Files.isRegularFile(f) && !f.getFileName().toString().startsWith(".")) {
                    out.add(f);
                }
            }
        }
        return out;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        if (Files.isDirectory(p)) {
            List<Path> children;
            try (Stream<Path> s = Files.list(p)) {
                children = s.toList();
            }
            for (Path c : children) {
                deleteTree(c);
            }
        }
        Files.delete(p);
    }

    /** A plan field's value as a message shows it: labels, prompts, numbers; long values shortened. */
    private static String show(JsonNode v) {
        if (v == null || v.isNull()) {
            return "none";
        }
        if (v.isArray()) {
            if (v.isEmpty()) {
                return "none";
            }
            List<String> items = new ArrayList<>();
            for (JsonNode e : v) {
                items.add(item(e));
            }
            return shorten(String.join(", ", items));
        }
        return shorten(item(v));
    }

    private static String item(JsonNode e) {
        if (e.has("label") && e.path("schedule").has("sigmas")) {
            // A schedule file keeps its label when its list changes: show the list.
            List<String> sigmas = new ArrayList<>();
            e.get("schedule").get("sigmas").forEach(s -> sigmas.add(item(s)));
            return e.get("label").asText() + " (sigmas " + String.join(" ", sigmas) + ")";
        }
        if (e.has("label")) {
            return e.get("label").asText();
        }
        if (e.has("prompt")) {
            String negative = e.path("negative").asText();
            return "\"" + e.get("prompt").asText() + "\"" + (negative.isEmpty() ? "" : " (negative \"" + negative + "\")");
        }
        if (e.has("sampler")) {
            return e.path("sampler").asText() + "/" + e.path("scheduler").asText() + "/" + e.path("steps").asText();
        }
        if (e.isFloatingPointNumber()) {
            return Cell.plain(e.doubleValue());
        }
        return e.isValueNode() ? e.asText() : e.toString();
    }

    private static String shorten(String s) {
        return s.length() <= SHOWN ? s : s.substring(0, SHOWN - 3) + "...";
    }
}
