package dev.stepwise.harness;

import dev.stepwise.core.io.TextFiles;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.schedule.Schedulers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads a plan file, JSON or YAML, with snake_case keys:
 * <pre>{@code
 * name: community            # default: the file name without its extension
 * model: fashion-eps         # an image model under models/, a folder path, gmm:builtin or gmm:FILE.json
 * samplers: all              # or a list of names and {name, params: {...}, label} entries
 * schedulers: [simple]       # same shape as samplers; "all" for the whole catalogue; an entry's
 *                            # samplers: [euler] runs it with those sampler labels only
 * steps: [10, 20]            # or nfe: [10, 20, 40] (NFE budgets); exactly one of the two
 * cfg: 3                     # a number or a list, in [0, 100]; default 3 (image models) or 1 (mixtures)
 * prompts:                   # texts or {prompt, negative}; default one unconditional prompt ""
 *   - sneaker
 *   - {prompt: dress, negative: coat}
 * seeds: 1-8                 # integers and ranges "1-8" in a list, or one string "1-8, 42"
 * batch: 1                   # rows per cell; default 1
 * reference: {sampler: heun, scheduler: karras, steps: 100}   # or false; default heun/karras/100
 * drop_slowest: 4            # default 4
 * parallel: 0                # default 0 = one cell per core
 * checklist: checklist.yaml  # human-scoring checklist, relative to the plan file
 * }</pre>
 * A scheduler may be a schedule file, {@code "file:vrg.json"} (relative to the plan file), which is read here: the
 * plan holds its list ({@link ScheduleNames#spec}), labelled "file:" + its file name by default.
 * Strict: an unknown or repeated key, or a value of the wrong type, is one line naming the file, the field
 * and what is allowed. Paths in the plan (a model folder, a mixture spec, the checklist, schedule files) are relative to the
 * plan file's folder and are stored resolved. This reads the syntax; {@link PlanCheck} checks the names,
 * ranges and prompts against the registries and the model.
 */
public final class PlanReader {
    /** The plan's keys, in the order the format documents them. */
    public static final List<String> KEYS = List.of("name", "model", "samplers", "schedulers", "steps", "nfe", "cfg",
            "prompts", "seeds", "batch", "reference", "drop_slowest", "parallel", "checklist", "width", "height");
    private static final List<String> ENTRY_KEYS = List.of("name", "params", "label");
    /** A scheduler entry may also name the sampler labels it runs with (a list fitted to one sampler). */
    private static final List<String> SCHEDULER_KEYS = List.of("name", "params", "label", "samplers");
    private static final List<String> PROMPT_KEYS = List.of("prompt", "negative");
    private static final List<String> REFERENCE_KEYS = List.of("sampler", "scheduler", "steps");
    /**
     * More seeds than this, in one range or in all, is a typo, not a plan (each seed is at least one image per
     * cell); the seeds are read before PlanCheck counts the cells, so they are capped here.
     */
    static final long MAX_RANGE = 1_000_000;
    private static final String SEEDS_ALLOWED = "seeds are integers or ranges like \"1-8\"";
    private static final Pattern RANGE = Pattern.compile("\\s*(\\d{1,18})\\s*(?:-\\s*(\\d{1,18})\\s*)?");

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private PlanReader() {
    }

    /**
     * Reads a plan file: ".json" as JSON, ".yaml" or ".yml" as YAML.
     *
     * @throws PlanException for a missing file, another extension, or any mistake in the plan
     */
    public static Plan read(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean yaml;
        if (name.endsWith(".json")) {
            yaml = false;
        } else if (name.endsWith(".yaml") || name.endsWith(".yml")) {
            yaml = true;
        } else {
            throw new PlanException("plan '" + file + "' must be a .json, .yaml or .yml file");
        }
        byte[] text;
        try {
            text = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new PlanException("plan '" + file + "' does not exist");
        } catch (IOException e) {
            throw new PlanException("cannot read plan '" + file + "': " + e.getMessage());
        }
        Path dir = file.toAbsolutePath().getParent();
        return parse(text, yaml, file.toString(), dir);
    }

    /**
     * Parses plan text.
     *
     * @param source  names the plan in messages and in {@link Plan#source()} (its file name); its stem is the
     *                default plan name
     * @param baseDir the folder relative paths in the plan are resolved against (the plan file's folder)
     */
    public static Plan parse(byte[] text, boolean yaml, String source, Path baseDir) {
        JsonNode root = tree(text, yaml, source);
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new PlanException(source + " is empty; a plan needs at least model, samplers, schedulers, steps and seeds");
        }
        return new Fields(source, baseDir).plan(root);
    }

    /**
     * Refuses a key of {@code node} outside {@code allowed}, naming it with its path ({@code prefix} + key) and
     * the allowed keys in their documented order. Plans, checklists and mixture specs check their keys alike.
     */
    static void checkKeys(String source, String prefix, JsonNode node, List<String> allowed) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) {
                throw new PlanException(source + ": unknown key '" + prefix + key + "'; allowed: " + String.join(", ", allowed));
            }
        }
    }

    /**
     * The JSON tree of a YAML or JSON text, with repeated keys refused (plans and checklists read alike).
     *
     * @throws PlanException naming {@code source}, the line and column, for text that does not parse
     */
    static JsonNode tree(byte[] text, boolean yaml, String source) {
        try {
            TextFiles.decode(text, source, yaml ? "YAML or JSON" : "JSON");   // a binary file: say so, not a parser's detail
        } catch (IllegalArgumentException e) {
            throw new PlanException(e.getMessage());
        }
        try {
            return (yaml ? YAML : JSON).readTree(text);
        } catch (JsonProcessingException e) {
            String at = e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")";
            throw new PlanException(source + " is not valid " + (yaml ? "YAML" : "JSON") + at + ": "
                    + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new PlanException("cannot read " + source + ": " + e.getMessage());
        }
    }

    /**
     * Seeds from a list such as "1-8,42" (the CLI's --seeds): comma-separated integers and inclusive ranges.
     *
     * @param where names the value in messages ("--seeds")
     */
    public static List<Long> seeds(String spec, String where) {
        List<Long> out = new ArrayList<>();
        Map<Long, String> seen = new HashMap<>();
        String[] parts = spec.split(",", -1);
        for (String part : parts) {
            addSeeds(part, where, "'" + part.strip() + "'", out, seen);
        }
        return List.copyOf(out);
    }

    /** Adds the seeds of "n" or "a-b" to {@code out}, rejecting backwards ranges and repeats. */
    private static void addSeeds(String text, String where, String item, List<Long> out, Map<Long, String> seen) {
        Matcher m = RANGE.matcher(text);
        if (!m.matches()) {
            throw new PlanException(where + ": " + quote(text) + " is not a seed; " + SEEDS_ALLOWED);
        }
        long a = Long.parseLong(m.group(1));
        long b = m.group(2) == null ? a : Long.parseLong(m.group(2));
        if (b < a) {
            throw new PlanException(where + ": range " + quote(text.strip()) + " runs backwards; write \"" + b + "-" + a + "\"");
        }
        if (b - a >= MAX_RANGE) {
            throw new PlanException(where + ": range " + quote(text.strip()) + " has " + (b - a + 1) + " seeds; at most "
                    + MAX_RANGE + " are allowed");
        }
        if (out.size() + (b - a + 1) > MAX_RANGE) {
            throw new PlanException(where + ": " + quote(text.strip()) + " makes more than " + MAX_RANGE + " seeds in all;"
                    + " at most " + MAX_RANGE + " are allowed");
        }
        for (long s = a; s <= b; s++) {
            add(s, where, item, out, seen);
        }
    }

    private static void add(long seed, String where, String item, List<Long> out, Map<Long, String> seen) {
        String before = seen.putIfAbsent(seed, item);
        if (before != null) {
            throw new PlanException(where + ": seed " + seed + " is listed twice (" + before
                    + (before.equals(item) ? "" : " and " + item) + "); each seed is run once per prompt");
        }
        out.add(seed);
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.strip().lines().findFirst().orElse("").strip();
    }

    private static String quote(String s) {
        return "\"" + s.replace("\"", "\\\"") + "\"";
    }

    /** A value as the user wrote it, shortened, for messages: "x" with quotes, 3.5, [1, 2], true. */
    static String show(JsonNode v) {
        String text = v.isTextual() ? quote(v.textValue()) : v.toString();
        return text.length() > 60 ? text.substring(0, 57) + "..." : text;
    }

    /** The fields of one plan: every reader knows the source for its messages. */
    private static final class Fields {
        private final String source;
        private final Path baseDir;

        Fields(String source, Path baseDir) {
            this.source = source;
            this.baseDir = baseDir;
        }

        Plan plan(JsonNode root) {
            if (!root.isObject()) {
                throw bad("the plan", root, "a plan is a mapping of keys (" + String.join(", ", KEYS) + ")");
            }
            checkKeys("", root, KEYS);
            String name = root.has("name") ? text("name", root.get("name"), false) : stem(source);
            String model = model(text("model", required("model", root), false));
            List<Plan.SamplerSpec> samplers = entries("samplers", required("samplers", root),
                    Samplers.names(), (n, p, l) -> new Plan.SamplerSpec(n, p, l != null ? l : label(n, p)), ENTRY_KEYS);
            // A schedule file (file:PATH) is read here, relative to the plan's folder: the plan holds its list.
            JsonNode schedulerNode = required("schedulers", root);
            List<Plan.SchedulerSpec> schedulers = pairings(schedulerNode, samplers, entries("schedulers", schedulerNode,
                    Schedulers.names(), (n, p, l) -> ScheduleNames.spec(n, p, l, baseDir), SCHEDULER_KEYS));
            boolean hasSteps = root.has("steps"), hasNfe = root.has("nfe");
            if (hasSteps == hasNfe) {
                throw new PlanException(source + ": " + (hasSteps ? "give steps or nfe, not both" : "missing 'steps'")
                        + "; steps: [10, 20] lists step counts, nfe: [10, 20, 40] lists model-call budgets");
            }
            List<Integer> steps = hasSteps ? integers("steps", root.get("steps")) : List.of();
            List<Integer> nfe = hasNfe ? integers("nfe", root.get("nfe")) : List.of();
            List<Double> cfg = root.has("cfg") ? numbers("cfg", root.get("cfg")) : List.of(Plan.defaultCfg(model));
            List<Plan.PromptSpec> prompts = root.has("prompts") ? prompts(root.get("prompts")) : List.of(Plan.PromptSpec.of(""));
            List<Long> seeds = seeds(required("seeds", root));
            int batch = root.has("batch") ? integer("batch", root.get("batch")) : 1;
            Plan.ReferenceSpec reference = root.has("reference") ? reference(root.get("reference")) : Plan.ReferenceSpec.DEFAULT;
            int dropSlowest = root.has("drop_slowest") ? integer("drop_slowest", root.get("drop_slowest"))
                    : Plan.DEFAULT_DROP_SLOWEST;
            int parallel = root.has("parallel") ? integer("parallel", root.get("parallel")) : 0;
            Path checklist = root.has("checklist") ? resolve(text("checklist", root.get("checklist"), false)) : null;
            // The image size of a Stable Diffusion folder; checked against the model by PlanCheck.
            Integer width = root.has("width") ? integer("width", root.get("width")) : null;
            Integer height = root.has("height") ? integer("height", root.get("height")) : null;
            return new Plan(name, model, samplers, schedulers, steps, nfe, cfg, prompts, seeds, batch, reference,
                    dropSlowest, parallel, checklist, source, width, height);
        }

        /** The model as written, with a folder or spec path resolved against the plan's folder. */
        private String model(String model) {
            if (model.startsWith(ModelSources.MIXTURE_PREFIX)) {
                String spec = model.substring(ModelSources.MIXTURE_PREFIX.length());
                if (spec.isBlank()) {
                    throw new PlanException(source + ": model \"" + model + "\" names no mixture; allowed: \""
                            + ModelSources.BUILT_IN_MIXTURE + "\" or \"gmm:FILE.json\"");
                }
                return spec.equals(ModelSources.BUILT_IN_SPEC) ? model : ModelSources.MIXTURE_PREFIX + resolve(spec);
            }
            if (model.isBlank()) {
                throw new PlanException(source + ": model is empty; give an image model such as \"fashion-eps\", a"
                        + " model folder, \"" + ModelSources.BUILT_IN_MIXTURE + "\" or \"gmm:FILE.json\"");
            }
            return ModelFolders.looksLikePath(model) ? resolve(model).toString() : model;
        }

        private Path resolve(String path) {
            Path p = Path.of(path);
            // Absolute, so that a resolved "./m" still reads as a folder rather than a model name.
            return (baseDir == null ? p : baseDir.resolve(p)).toAbsolutePath().normalize();
        }

        /**
         * The schedulers with the sampler labels each entry's {@code samplers} names (a list of labels of the plan's
         * sampler entries); entries without it go with every sampler.
         */
        private List<Plan.SchedulerSpec> pairings(JsonNode node, List<Plan.SamplerSpec> samplers,
                                                  List<Plan.SchedulerSpec> schedulers) {
            if (!node.isArray()) {
                return schedulers;
            }
            List<String> labels = samplers.stream().map(Plan.SamplerSpec::label).toList();
            List<Plan.SchedulerSpec> out = new ArrayList<>(schedulers);
            for (int i = 0; i < node.size(); i++) {
                JsonNode with = node.get(i).isObject() ? node.get(i).get("samplers") : null;
                if (with == null) {
                    continue;
                }
                String where = "schedulers[" + i + "].samplers";
                if (!with.isArray() || with.isEmpty()) {
                    throw bad(where, with, "samplers is a non-empty list of the plan's sampler labels (" + String.join(", ", labels)
                            + "); leave it out to run the scheduler with every sampler");
                }
                List<String> names = new ArrayList<>();
                for (int k = 0; k < with.size(); k++) {
                    String label = text(where + "[" + k + "]", with.get(k), false).strip();
                    if (!labels.contains(label)) {
                        throw bad(where + "[" + k + "]", with.get(k), "'" + label + "' is not a sampler label of this plan;"
                                + " allowed: " + String.join(", ", labels));
                    }
                    if (!names.contains(label)) {
                        names.add(label);
                    }
                }
                out.set(i, schedulers.get(i).onlyWith(names));
            }
            return out;
        }

        private <T> List<T> entries(String field, JsonNode node, List<String> all,
                                    EntryFactory<T> factory, List<String> keys) {
            String singular = field.substring(0, field.length() - 1);
            if (node.isTextual() && node.textValue().strip().equals("all")) {
                return all.stream().map(n -> factory.make(n, Map.of(), n)).toList();
            }
            if (node.isTextual()) {
                return List.of(entry(field, node, singular, factory, keys));
            }
            if (!node.isArray()) {
                throw bad(field, node, field + " is \"all\" or a list of " + singular + " names and {name, params, label} entries");
            }
            List<T> out = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                out.add(entry(field + "[" + i + "]", node.get(i), singular, factory, keys));
            }
            return out;
        }

        private <T> T entry(String where, JsonNode node, String singular, EntryFactory<T> factory, List<String> keys) {
            if (node.isTextual()) {
                String name = node.textValue().strip();
                if (name.equals("all")) {
                    throw bad(where, node, "write \"all\" on its own (not in a list) for every " + singular);
                }
                if (name.isEmpty()) {
                    throw bad(where, node, "give a " + singular + " name (see 'stepwise list " + singular + "s')");
                }
                return make(where, factory, name, Map.of(), null);
            }
            if (!node.isObject()) {
                throw bad(where, node, "a " + singular + " is a name or {name, params, label}");
            }
            checkKeys(where + ".", node, keys);
            String name = text(where + ".name", required(where, "name", node), false).strip();
            if (name.isEmpty()) {
                throw bad(where + ".name", node.get("name"), "give a " + singular + " name (see 'stepwise list " + singular + "s')");
            }
            Map<String, Object> params = new LinkedHashMap<>();
            JsonNode p = node.get("params");
            if (p != null && !p.isNull()) {
                if (!p.isObject()) {
                    throw bad(where + ".params", p, "params is a mapping of parameter names to values, e.g. {eta: 0.5}");
                }
                for (Map.Entry<String, JsonNode> e : p.properties()) {
                    JsonNode v = e.getValue();
                    String at = where + ".params." + e.getKey();
                    if (v.isNumber()) {
                        double d = v.doubleValue();
                        if (!Double.isFinite(d)) {
                            throw bad(at, v, "a parameter value is a finite number, inf or -inf (as text), or a choice");
                        }
                        params.put(e.getKey(), d);
                    } else if (v.isTextual()) {
                        params.put(e.getKey(), v.textValue());
                    } else {
                        throw bad(at, v, "a parameter value is a number or a choice's name");
                    }
                }
            }
            String label = node.has("label") ? text(where + ".label", node.get("label"), false).strip() : null;
            if (label != null && label.isEmpty()) {
                throw bad(where + ".label", node.get("label"), "a label names the entry in the report; leave it out for the default");
            }
            return make(where, factory, name, params, label);
        }

        /** The factory's entry; a schedule file it cannot read is a mistake of the plan at {@code where}. */
        private <T> T make(String where, EntryFactory<T> factory, String name, Map<String, Object> params, String label) {
            try {
                return factory.make(name, params, label);
            } catch (PlanException e) {
                throw e;
            } catch (IllegalArgumentException e) {
                throw new PlanException(source + ": " + where + ": " + e.getMessage());
            }
        }

        private List<Plan.PromptSpec> prompts(JsonNode node) {
            if (node.isTextual() || node.isObject()) {
                return List.of(prompt("prompts", node));
            }
            if (!node.isArray()) {
                throw bad("prompts", node, "prompts is a list of texts and {prompt, negative} entries");
            }
            List<Plan.PromptSpec> out = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                out.add(prompt("prompts[" + i + "]", node.get(i)));
            }
            return out;
        }

        private Plan.PromptSpec prompt(String where, JsonNode node) {
            if (!node.isObject()) {
                return Plan.PromptSpec.of(promptText(where, node));
            }
            checkKeys(where + ".", node, PROMPT_KEYS);
            String prompt = promptText(where + ".prompt", required(where, "prompt", node));
            String negative = node.has("negative") ? promptText(where + ".negative", node.get("negative")) : "";
            return new Plan.PromptSpec(prompt, negative);
        }

        /** Prompt text; an integer is allowed too, as a mixture label (prompts: [0, 3]). */
        private String promptText(String where, JsonNode node) {
            if (node.isIntegralNumber()) {
                return node.asText();
            }
            return text(where, node, true);
        }

        private List<Long> seeds(JsonNode node) {
            List<Long> out = new ArrayList<>();
            Map<Long, String> seen = new HashMap<>();
            if (node.isTextual() || node.isIntegralNumber()) {
                seed("seeds", node, out, seen);
            } else if (node.isArray()) {
                for (int i = 0; i < node.size(); i++) {
                    seed("seeds[" + i + "]", node.get(i), out, seen);
                }
            } else {
                throw bad("seeds", node, SEEDS_ALLOWED);
            }
            return out;
        }

        private void seed(String where, JsonNode node, List<Long> out, Map<Long, String> seen) {
            if (node.isIntegralNumber() && node.canConvertToLong()) {
                add(node.longValue(), source + ": seeds", where, out, seen);
            } else if (node.isTextual() && Stream.of(node.textValue().split(",", -1)).allMatch(t -> RANGE.matcher(t).matches())) {
                // "1-8, 42" as one string, as the command line's --seeds takes it
                for (String part : node.textValue().split(",")) {
                    addSeeds(part, source + ": " + where, where, out, seen);
                }
            } else {
                throw bad(where, node, SEEDS_ALLOWED);
            }
        }

        private Plan.ReferenceSpec reference(JsonNode node) {
            if (node.isBoolean()) {
                return node.booleanValue() ? Plan.ReferenceSpec.DEFAULT : null;
            }
            if (!node.isObject()) {
                throw bad("reference", node, "reference is {sampler, scheduler, steps} or false for none");
            }
            checkKeys("reference.", node, REFERENCE_KEYS);
            Plan.ReferenceSpec d = Plan.ReferenceSpec.DEFAULT;
            return new Plan.ReferenceSpec(
                    node.has("sampler") ? text("reference.sampler", node.get("sampler"), false).strip() : d.sampler(),
                    node.has("scheduler") ? text("reference.scheduler", node.get("scheduler"), false).strip() : d.scheduler(),
                    node.has("steps") ? integer("reference.steps", node.get("steps")) : d.steps());
        }

        private List<Integer> integers(String field, JsonNode node) {
            if (!node.isArray()) {
                return List.of(integer(field, node));
            }
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                out.add(integer(field + "[" + i + "]", node.get(i)));
            }
            return out;
        }

        private List<Double> numbers(String field, JsonNode node) {
            if (!node.isArray()) {
                return List.of(number(field, node));
            }
            List<Double> out = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                out.add(number(field + "[" + i + "]", node.get(i)));
            }
            return out;
        }

        private int integer(String where, JsonNode node) {
            if (!node.isIntegralNumber() || !node.canConvertToInt()) {
                throw bad(where, node, "expected an integer");
            }
            return node.intValue();
        }

        private double number(String where, JsonNode node) {
            if (!node.isNumber()) {
                throw bad(where, node, "expected a number");
            }
            return node.doubleValue();
        }

        private String text(String where, JsonNode node, boolean emptyAllowed) {
            if (!node.isTextual()) {
                throw bad(where, node, "expected text");
            }
            if (!emptyAllowed && node.textValue().isBlank()) {
                throw bad(where, node, "it must not be empty");
            }
            return node.textValue();
        }

        private JsonNode required(String field, JsonNode root) {
            JsonNode v = root.get(field);
            if (v == null || v.isNull()) {
                throw new PlanException(source + ": missing '" + field + "'; a plan needs model, samplers, schedulers,"
                        + " steps (or nfe) and seeds");
            }
            return v;
        }

        private JsonNode required(String where, String field, JsonNode node) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                throw new PlanException(source + ": " + where + " has no '" + field + "'");
            }
            return v;
        }

        private void checkKeys(String prefix, JsonNode node, List<String> allowed) {
            PlanReader.checkKeys(source, prefix, node, allowed);
        }

        private PlanException bad(String where, JsonNode value, String allowed) {
            return new PlanException(source + ": " + where + " is " + show(value) + "; " + allowed);
        }
    }

    /** The default label: the name, then the parameters as written ("euler_ancestral eta=0.5 s_noise=1"). */
    static String label(String name, Map<String, Object> params) {
        StringBuilder b = new StringBuilder(name);
        params.forEach((k, v) -> b.append(' ').append(k).append('=').append(v instanceof Double d ? Cell.plain(d) : v));
        return b.toString();
    }

    /** "plans/community.yaml" -> "community". */
    private static String stem(String source) {
        String file = source.replace('\\', '/');
        file = file.substring(file.lastIndexOf('/') + 1);
        int dot = file.lastIndexOf('.');
        return dot > 0 ? file.substring(0, dot) : file;
    }

    @FunctionalInterface
    private interface EntryFactory<T> {
        /** @param label the plan's label, or null for the default */
        T make(String name, Map<String, Object> params, String label);
    }
}
