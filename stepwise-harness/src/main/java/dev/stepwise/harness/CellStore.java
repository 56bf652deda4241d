package dev.stepwise.harness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.io.Npy;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.harness.fit.ScheduleFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One report folder's cell files: {@code cells/<id>.json} (one {@link CellResult}), {@code samples/<id>.npy}
 * (its final samples) and {@code images/<id>.png} (image models), plus {@code plan.json} (the plan and the
 * model's key: whose report this is) and the {@code references/} folder. A cell's JSON is written last, so its presence means the cell is done; every
 * file is written atomically, so a crash or Ctrl-C leaves whole files or none.
 */
public final class CellStore {
    public static final String PLAN_FILE = "plan.json";
    public static final String CELLS = "cells";
    public static final String SAMPLES = "samples";
    public static final String IMAGES = "images";
    public static final String REFERENCES = "references";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** The key of a schedule file's content in a scheduler configuration's JSON. */
    private static final String SCHEDULE = "schedule";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final Path dir;

    private CellStore(Path dir) {
        this.dir = dir;
    }

    /** The report folder {@code dir}, creating it and its sub-folders when missing. */
    public static CellStore open(Path dir) throws IOException {
        for (String sub : new String[] {CELLS, SAMPLES, IMAGES, REFERENCES}) {
            AtomicFiles.createFolder(dir.resolve(sub));
        }
        return new CellStore(dir);
    }

    public Path dir() {
        return dir;
    }

    public Path cellFile(String id) {
        return dir.resolve(recordPath(id));
    }

    /** The record (JSON) file of a cell, relative to the report folder. */
    public static String recordPath(String id) {
        return CELLS + "/" + id + ".json";
    }

    /** The bytes of a cell's record file. */
    public static byte[] record(CellResult r) {
        return json(toJson(r));
    }

    /** Writes a file under the folder atomically: {@code path} relative to it, '/'-separated (a {@link CellRunner.Sink}). */
    public void write(String path, byte[] bytes) throws IOException {
        AtomicFiles.write(dir.resolve(path), bytes);
    }

    /** The samples file of a cell, relative to the report folder (as {@link CellResult#samples()} holds it). */
    public static String samplesPath(String id) {
        return SAMPLES + "/" + id + ".npy";
    }

    /** The image file of a cell, relative to the report folder (as {@link CellResult#image()} holds it). */
    public static String imagePath(String id) {
        return IMAGES + "/" + id + ".png";
    }

    public Path referencesDir() {
        return dir.resolve(REFERENCES);
    }

    /**
     * Writes a finished cell: its samples and image (when given) first, then its JSON, each atomically, so
     * the JSON never names files that are not there.
     *
     * @param samples the cell's samples, or null for a failed cell
     * @param png     the cell's PNG bytes, or null for none
     */
    public void write(CellResult r, Tensor samples, byte[] png) throws IOException {
        writeFiles(r.id(), samples, png);
        writeResult(r);
    }

    /**
     * The first half of {@link #write}: the samples and image of cell {@code id} under
     * {@link #samplesPath} and {@link #imagePath}. Without the JSON the cell is not done yet.
     */
    public void writeFiles(String id, Tensor samples, byte[] png) throws IOException {
        if (samples != null) {
            AtomicFiles.write(dir.resolve(samplesPath(id)), Npy.encode(samples));
        }
        if (png != null) {
            AtomicFiles.write(dir.resolve(imagePath(id)), png);
        }
    }

    /** The second half of {@link #write}: the cell's JSON, which marks it done. */
    public void writeResult(CellResult r) throws IOException {
        AtomicFiles.write(cellFile(r.id()), record(r));
    }

    /**
     * The finished cell {@code id}, or empty when it is not done: no JSON, a JSON that does not parse or
     * names another cell (a hand-edited file: the cell is redone), or a samples file that has gone missing.
     */
    public Optional<CellResult> read(String id) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(cellFile(id));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        CellResult r;
        try {
            r = fromJson(JSON.readTree(bytes));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        if (!r.id().equals(id) || (!r.samples().isEmpty() && !Files.isRegularFile(dir.resolve(r.samples())))) {
            return Optional.empty();
        }
        return Optional.of(r);
    }

    /** A cell's samples as written. */
    public Tensor readSamples(CellResult r) throws IOException {
        if (r.samples().isEmpty()) {
            throw new IOException("cell " + r.id() + " has no samples (its sampler failed: " + r.error() + ")");
        }
        return Npy.read(dir.resolve(r.samples()));
    }

    /**
     * Writes {@code plan.json}: the plan as run and the model's key, which say whose report the folder holds
     * ({@link ReportFolder#difference}).
     */
    public void writePlan(Plan plan, String modelKey) throws IOException {
        AtomicFiles.write(dir.resolve(PLAN_FILE), json(planJson(plan).put(ReportFolder.MODEL_KEY, modelKey)));
    }

    static byte[] json(JsonNode node) {
        try {
            return (JSON.writeValueAsString(node) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
        }
    }

    static JsonNode parse(byte[] bytes) throws IOException {
        return JSON.readTree(bytes);
    }

    // ---------------------------------------------------------------------------------------------------
    // JSON of a cell result. Non-finite doubles are written as the strings "NaN", "Infinity", "-Infinity"
    // (JSON has no such numbers) and read back from them.

    /** The JSON of a cell result, as {@code cells/<id>.json} holds it. */
    public static ObjectNode toJson(CellResult r) {
        ObjectNode o = NODES.objectNode();
        o.put("id", r.id());
        o.set("cell", cellJson(r.cell()));
        o.put("nfe", r.nfe());
        o.put("network_calls", r.networkCalls());
        o.put("steps_run", r.stepsRun());
        o.set("seconds", number(r.seconds()));
        o.set("network_seconds", number(r.networkSeconds()));
        o.set("cell_seconds", number(r.cellSeconds()));
        ObjectNode m = o.putObject("metrics");
        for (Map.Entry<String, Double> e : new TreeMap<>(r.metrics()).entrySet()) {
            m.set(e.getKey(), number(e.getValue()));
        }
        if (r.features() == null) {
            o.putNull("features");
        } else {
            ArrayNode rows = o.putArray("features");
            for (double[] row : r.features()) {
                ArrayNode a = rows.addArray();
                for (double v : row) {
                    a.add(number(v));
                }
            }
        }
        o.put("image", r.image());
        o.put("samples", r.samples());
        o.put("error", r.error());
        return o;
    }

    /** A cell result from its JSON; a missing or mistyped field is an IllegalArgumentException naming it. */
    public static CellResult fromJson(JsonNode o) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        JsonNode m = field(o, "metrics");
        for (Map.Entry<String, JsonNode> e : m.properties()) {
            metrics.put(e.getKey(), toDouble(e.getValue(), "metrics." + e.getKey()));
        }
        double[][] features = null;
        JsonNode f = field(o, "features");
        if (!f.isNull()) {
            features = new double[f.size()][];
            for (int i = 0; i < features.length; i++) {
                JsonNode row = f.get(i);
                features[i] = new double[row.size()];
                for (int j = 0; j < features[i].length; j++) {
                    features[i][j] = toDouble(row.get(j), "features");
                }
            }
        }
        return new CellResult(text(o, "id"), cellFromJson(field(o, "cell")), integer(o, "nfe"),
                integer(o, "network_calls"), (int) integer(o, "steps_run"), toDouble(field(o, "seconds"), "seconds"),
                toDouble(field(o, "network_seconds"), "network_seconds"),
                toDouble(field(o, "cell_seconds"), "cell_seconds"), metrics, features, text(o, "image"),
                text(o, "samples"), text(o, "error"));
    }

    static ObjectNode cellJson(Cell c) {
        ObjectNode o = NODES.objectNode();
        Cell.Config k = c.config();
        o.set("sampler", specJson(k.sampler().name(), k.sampler().parameters(), k.sampler().label()));
        o.set("scheduler", schedulerJson(k.scheduler()));
        o.put("step_axis", k.stepAxis());
        o.put("by_nfe", k.byNfe());
        o.set("cfg", number(k.cfg()));
        o.put("steps", c.steps());
        o.put("prompt", c.prompt());
        o.put("seed", c.seed());
        return o;
    }

    static Cell cellFromJson(JsonNode o) {
        JsonNode s = field(o, "sampler"), h = field(o, "scheduler");
        Plan.SamplerSpec sampler = new Plan.SamplerSpec(text(s, "name"), parameters(s), text(s, "label"));
        Plan.SchedulerSpec scheduler = new Plan.SchedulerSpec(text(h, "name"), parameters(h), text(h, "label"),
                h.has(SCHEDULE) ? ScheduleFile.fromJson(h.get(SCHEDULE), "the cell's schedule") : null);
        JsonNode byNfe = field(o, "by_nfe");
        if (!byNfe.isBoolean()) {
            throw new IllegalArgumentException("field by_nfe is not a boolean");
        }
        Cell.Config config = new Cell.Config(sampler, scheduler, (int) integer(o, "step_axis"), byNfe.booleanValue(),
                toDouble(field(o, "cfg"), "cfg"));
        return new Cell(config, (int) integer(o, "steps"), (int) integer(o, "prompt"), integer(o, "seed"));
    }

    private static ObjectNode specJson(String name, Map<String, Object> parameters, String label) {
        ObjectNode o = NODES.objectNode();
        o.put("name", name);
        o.set("parameters", JSON.valueToTree(new TreeMap<>(parameters)));
        o.put("label", label);
        return o;
    }

    /** A scheduler configuration's JSON; a schedule file's content goes with it (absent for a registry scheduler). */
    private static ObjectNode schedulerJson(Plan.SchedulerSpec s) {
        ObjectNode o = specJson(s.name(), s.parameters(), s.label());
        if (s.schedule() != null) {
            o.set(SCHEDULE, s.schedule().toJson());
        }
        return o;
    }

    private static Map<String, Object> parameters(JsonNode spec) {
        JsonNode p = field(spec, "parameters");
        if (!p.isObject()) {
            throw new IllegalArgumentException("field parameters is not an object");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : p.properties()) {
            out.put(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
        }
        return out;
    }

    static ObjectNode planJson(Plan p) {
        ObjectNode o = NODES.objectNode();
        o.put("name", p.name());
        o.put("model", p.model());
        ArrayNode samplers = o.putArray("samplers");
        for (Plan.SamplerSpec s : p.samplers()) {
            samplers.add(specJson(s.name(), s.parameters(), s.label()));
        }
        ArrayNode schedulers = o.putArray("schedulers");
        for (Plan.SchedulerSpec s : p.schedulers()) {
            ObjectNode entry = schedulerJson(s);
            if (!s.samplers().isEmpty()) {
                // Only when restricted, so the plan files of earlier reports read the same.
                s.samplers().forEach(entry.putArray("samplers")::add);
            }
            schedulers.add(entry);
        }
        p.steps().forEach(o.putArray("steps")::add);
        p.nfe().forEach(o.putArray("nfe")::add);
        ArrayNode cfg = o.putArray("cfg");
        p.cfg().forEach(v -> cfg.add(number(v)));
        ArrayNode prompts = o.putArray("prompts");
        for (Plan.PromptSpec s : p.prompts()) {
            prompts.addObject().put("prompt", s.prompt()).put("negative", s.negative());
        }
        p.seeds().forEach(o.putArray("seeds")::add);
        o.put("batch", p.batch());
        if (p.reference() == null) {
            o.putNull("reference");
        } else {
            o.putObject("reference").put("sampler", p.reference().sampler()).put("scheduler", p.reference().scheduler())
                    .put("steps", p.reference().steps());
        }
        o.put("drop_slowest", p.dropSlowest());
        o.put("parallel", p.parallel());
        if (p.checklist() == null) {
            o.putNull("checklist");
        } else {
            o.put("checklist", p.checklist().toString());
        }
        o.put("source", p.source());
        // Only when given, so the plan files of earlier reports read the same.
        if (p.width() != null) {
            o.put("width", p.width());
        }
        if (p.height() != null) {
            o.put("height", p.height());
        }
        return o;
    }

    /** A double as JSON: a number when finite, else "NaN", "Infinity" or "-Infinity". */
    static JsonNode number(double v) {
        return Double.isFinite(v) ? NODES.numberNode(v) : NODES.textNode(Double.toString(v));
    }

    static double toDouble(JsonNode n, String name) {
        if (n != null && n.isNumber()) {
            return n.doubleValue();
        }
        if (n != null && n.isTextual()) {
            switch (n.textValue()) {
                case "NaN":
                    return Double.NaN;
                case "Infinity":
                    return Double.POSITIVE_INFINITY;
                case "-Infinity":
                    return Double.NEGATIVE_INFINITY;
                default:
                    break;
            }
        }
        if (n != null && n.isNull()) {
            return Double.NaN;
        }
        throw new IllegalArgumentException("field " + name + " is not a number: " + n);
    }

    private static JsonNode field(JsonNode o, String name) {
        JsonNode n = o == null ? null : o.get(name);
        if (n == null) {
            throw new IllegalArgumentException("field " + name + " is missing");
        }
        return n;
    }

    private static String text(JsonNode o, String name) {
        JsonNode n = field(o, name);
        if (!n.isTextual()) {
            throw new IllegalArgumentException("field " + name + " is not a string");
        }
        return n.textValue();
    }

    private static long integer(JsonNode o, String name) {
        JsonNode n = field(o, name);
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new IllegalArgumentException("field " + name + " is not an integer");
        }
        return n.longValue();
    }
}
