package dev.stepwise.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.harness.Generation;
import dev.stepwise.harness.Limits;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.harness.ScheduleNames;
import dev.stepwise.harness.SettingException;
import dev.stepwise.onnx.image.Filter;
import dev.stepwise.onnx.image.InitImage;
import java.nio.file.Path;
import java.awt.image.BufferedImage;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a generate job runs, in the settings of {@code stepwise generate} (the native API's JSON names): every API
 * (native, A1111, ComfyUI) turns its request into one of these, so a job runs, and is stored, the same way
 * whichever client sent it. The seed is always the one used (a random seed is drawn when the job is made).
 *
 * @param iterations batches run one after another (A1111's n_iter), batch {@code i} with seed {@code seed + i * batch}
 * @param scale      integer upscaling of the model's image in the PNG
 * @param initImage  img2img: the input image as base64 PNG or JPEG (brought to the model's size and to gray at run
 *                   time), or null for txt2img
 * @param denoise    img2img: the denoising strength in (0, 1]
 * @param resizeMode img2img: how an input of another size is brought to the model's: "just" or "crop"
 */
public record GenerateSpec(String model, String prompt, String negative, String sampler, Map<String, Object> samplerParameters,
                           String scheduler, Map<String, Object> schedulerParameters, int steps, double cfg, long seed,
                           int batch, int iterations, int scale, String filter, String initImage, double denoise,
                           String resizeMode) {

    static final Set<String> FIELDS = Set.of("model", "prompt", "negative", "sampler", "sampler_parameters", "scheduler",
            "scheduler_parameters", "steps", "cfg", "seed", "batch", "iterations", "scale", "filter", "init_image",
            "denoise", "resize_mode");
    static final String DEFAULT_MODEL = "fashion-eps";
    /** img2img's denoising strength when none is given: A1111's (its img2img tab and API default to 0.75). */
    static final double DEFAULT_DENOISE = 0.75;
    static final int MAX_SCALE = 64;
    private static final SecureRandom RANDOM = new SecureRandom();

    public GenerateSpec {
        samplerParameters = Map.copyOf(samplerParameters);
        schedulerParameters = Map.copyOf(schedulerParameters);
    }

    /** A txt2img spec. */
    public GenerateSpec(String model, String prompt, String negative, String sampler, Map<String, Object> samplerParameters,
                        String scheduler, Map<String, Object> schedulerParameters, int steps, double cfg, long seed,
                        int batch, int iterations, int scale, String filter) {
        this(model, prompt, negative, sampler, samplerParameters, scheduler, schedulerParameters, steps, cfg, seed, batch,
                iterations, scale, filter, null, 1, "just");
    }

    /** This spec as img2img from {@code image} (base64). */
    GenerateSpec withInit(String image, double strength, String mode) {
        return new GenerateSpec(model, prompt, negative, sampler, samplerParameters, scheduler, schedulerParameters, steps,
                cfg, seed, batch, iterations, scale, filter, image, strength, mode);
    }

    /** A seed for "seed": -1, as A1111 draws one: a non-negative 32-bit number. */
    static long randomSeed() {
        return RANDOM.nextLong(1L << 32);
    }

    /** Reads a native request body ({@link #FIELDS}; {@code extra} names more fields the endpoint reads itself). */
    static GenerateSpec read(JsonNode body, Set<String> extra) {
        Set<String> known = new java.util.HashSet<>(FIELDS);
        known.addAll(extra);
        Fields f = Fields.of(body, known);
        long seed = f.integer("seed", 0, -1, Long.MAX_VALUE);
        GenerateSpec spec = new GenerateSpec(f.string("model", DEFAULT_MODEL), f.string("prompt", ""), f.string("negative", ""),
                f.string("sampler", "dpmpp_2m"), f.parameters("sampler_parameters"), f.string("scheduler", "karras"),
                f.parameters("scheduler_parameters"), (int) f.integer("steps", Generation.DEFAULT_STEPS, 1, Integer.MAX_VALUE),
                f.number("cfg", 3), seed == -1 ? randomSeed() : seed, (int) f.integer("batch", 1, 1, Integer.MAX_VALUE),
                (int) f.integer("iterations", 1, 1, Integer.MAX_VALUE), (int) f.integer("scale", 8, 1, MAX_SCALE),
                f.string("filter", "nearest"));
        if (f.has("init_image")) {
            return spec.withInit(f.string("init_image", null), f.number("denoise", DEFAULT_DENOISE), f.string("resize_mode", "just"));
        }
        for (String img2img : List.of("denoise", "resize_mode")) {
            if (f.has(img2img)) {
                throw ApiException.bad(img2img, img2img + " is for img2img: give init_image (a base64 PNG) with it");
            }
        }
        return spec;
    }

    /** The init image decoded, or null for txt2img; a 400 naming {@code field} when it is not an image. */
    BufferedImage init(String field) {
        if (initImage == null) {
            return null;
        }
        try {
            return InitImage.decode(Fields.base64(field, initImage));
        } catch (IllegalArgumentException e) {
            throw ApiException.bad(field, field + " is " + e.getMessage());
        }
    }

    InitImage.ResizeMode parsedResizeMode() {
        try {
            return InitImage.ResizeMode.parse(resizeMode);
        } catch (IllegalArgumentException e) {
            throw ApiException.bad("resize_mode", e.getMessage());
        }
    }

    /** Images the job makes. */
    int images() {
        return batch * iterations;
    }

    /** The library's settings for iteration {@code i}. */
    Generation.Settings settings(int iteration) {
        return new Generation.Settings(model, prompt, negative, sampler, samplerParameters, schedule(), schedulerParameters,
                steps, cfg, seed + (long) iteration * batch, batch);
    }

    private ScheduleNames.Entry schedule() {
        if (ScheduleNames.isFile(scheduler)) {
            // A schedule file is a path on the server's disk: not something a request may name.
            throw ApiException.bad("scheduler", "scheduler '" + scheduler + "' is not allowed here: the server takes"
                    + " registry schedulers only (see GET /api/schedulers)");
        }
        try {
            return ScheduleNames.resolve(scheduler, null);
        } catch (IllegalArgumentException e) {
            throw ApiException.bad("scheduler", e.getMessage());
        }
    }

    Filter parsedFilter() {
        try {
            return Filter.parse(filter);
        } catch (IllegalArgumentException e) {
            throw ApiException.bad("filter", "filter: " + e.getMessage());
        }
    }

    /**
     * Checks everything before the job is queued, with the library's checks ({@link Generation#prepare}): a bad job
     * is a 400 now, not a failure later. Model names only: a path would reach outside the models folder.
     */
    Generation.Prepared check(Path models, Limits limits) {
        if (ModelFolders.looksLikePath(model) || model.isBlank()) {
            throw ApiException.bad("model", "model '" + model + "' is not allowed: give a model name (see GET /api/models)");
        }
        parsedFilter();
        if (initImage != null) {
            init("init_image");
            parsedResizeMode();
            try {
                Generation.checkDenoise(denoise);
            } catch (SettingException e) {
                throw ApiException.bad("denoise", e.getMessage());
            }
        }
        Generation.Prepared p;
        try {
            p = Generation.prepare(settings(0), models, limits);
        } catch (SettingException e) {
            // The server's folders are not the client's business.
            throw ApiException.bad(e.field(), e.getMessage().replace(" (in " + models + ")", "")
                    .replace(", or a model folder's path", ""));
        }
        if ((long) batch * iterations > limits.imageBatch()) {
            throw ApiException.bad("iterations", "batch x iterations = " + (long) batch * iterations + " images is over"
                    + " the limit of " + limits.imageBatch() + " images a job; " + limits.raise("batch", (long) batch * iterations));
        }
        return p;
    }

    ObjectNode toJson(ObjectMapper json) {
        ObjectNode n = json.createObjectNode();
        n.put("model", model).put("prompt", prompt).put("negative", negative).put("sampler", sampler);
        n.set("sampler_parameters", json.valueToTree(samplerParameters));
        n.put("scheduler", scheduler);
        n.set("scheduler_parameters", json.valueToTree(schedulerParameters));
        n.put("steps", steps).put("cfg", cfg).put("seed", seed).put("batch", batch).put("iterations", iterations)
                .put("scale", scale).put("filter", filter);
        if (initImage != null) {
            n.put("init_image", initImage).put("denoise", denoise).put("resize_mode", resizeMode);
        }
        return n;
    }

    /** Reads back what {@link #toJson} wrote (a stored job). */
    static GenerateSpec fromJson(JsonNode n) {
        return read(n, Set.of());
    }
}
