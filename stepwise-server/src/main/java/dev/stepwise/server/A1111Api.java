package dev.stepwise.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.core.samplers.A1111SamplerNames;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.onnx.ModelConfig;
import dev.stepwise.onnx.image.Infotext;
import dev.stepwise.onnx.image.PngInfo;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The AUTOMATIC1111 API subset ({@code /sdapi/v1/...}), with the request and response shapes of A1111's
 * modules/api/models.py and api.py, so that clients written for A1111 (SillyTavern, Open WebUI, scripts) work
 * unchanged. A txt2img request becomes a {@link GenerateSpec} and goes through the same queue as every job.
 */
final class A1111Api {
    /** Fields A1111 clients send that change nothing here when left at their defaults, and are refused otherwise. */
    private static final Map<String, Object> NEUTRAL = Map.of("enable_hr", false, "restore_faces", false, "tiling", false);
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);

    private A1111Api() {
    }

    static void routes(StepwiseServer s, JavalinConfig c) {
        State state = new State();
        c.routes.post("/sdapi/v1/txt2img", ctx -> generate(s, state, ctx, false));
        c.routes.post("/sdapi/v1/img2img", ctx -> generate(s, state, ctx, true));
        c.routes.get("/sdapi/v1/samplers", ctx -> {
            ArrayNode out = s.json.createArrayNode();
            for (A1111SamplerNames.Label x : A1111SamplerNames.entries()) {
                ObjectNode n = out.addObject();
                n.put("name", x.label());
                n.set("aliases", s.json.valueToTree(x.aliases()));
                ObjectNode options = n.putObject("options");
                x.automaticScheduler().ifPresent(v -> options.put("scheduler", v));
            }
            ctx.json(out);
        });
        c.routes.get("/sdapi/v1/schedulers", ctx -> {
            ArrayNode out = s.json.createArrayNode();
            for (A1111SamplerNames.ScheduleType x : A1111SamplerNames.scheduleTypes()) {
                ObjectNode n = out.addObject();
                n.put("name", x.name()).put("label", x.label());
                if (x.aliases().isEmpty()) {
                    n.putNull("aliases");
                } else {
                    n.set("aliases", s.json.valueToTree(x.aliases()));
                }
                n.put("default_rho", x.defaultRho()).put("need_inner_model", false);
            }
            ctx.json(out);
        });
        c.routes.get("/sdapi/v1/sd-models", ctx -> {
            ArrayNode out = s.json.createArrayNode();
            for (String name : ModelFolders.names(s.config.models())) {
                ObjectNode n = out.addObject();
                n.put("title", name).put("model_name", name).putNull("hash").putNull("sha256")
                        .put("filename", name + "/model.json").putNull("config");
            }
            ctx.json(out);
        });
        c.routes.get("/sdapi/v1/options", ctx -> ctx.json(options(s, state)));
        c.routes.post("/sdapi/v1/options", ctx -> {
            Fields f = Fields.of(s.body(ctx), null);
            if (f.has("sd_model_checkpoint")) {
                state.checkpoint = model(s, f.string("sd_model_checkpoint", null), "sd_model_checkpoint");
            }
            ctx.json(options(s, state));
        });
        c.routes.get("/sdapi/v1/progress", ctx -> ctx.json(progress(s, "true".equalsIgnoreCase(ctx.queryParam("skip_current_image")))));
        c.routes.post("/sdapi/v1/interrupt", ctx -> {
            s.queue.interrupt();
            ctx.json(s.json.createObjectNode());
        });
        c.routes.post("/sdapi/v1/png-info", ctx -> pngInfo(s, ctx));
    }

    /** What A1111 keeps in its shared options: the checkpoint that txt2img uses. */
    static final class State {
        volatile String checkpoint = GenerateSpec.DEFAULT_MODEL;
    }

    private static ObjectNode options(StepwiseServer s, State state) {
        ObjectNode n = s.json.createObjectNode();
        n.put("sd_model_checkpoint", state.checkpoint).put("samples_format", "png");
        return n;
    }

    /** A checkpoint title as A1111 gives it ("name" or "name [hash]") checked against the models folder. */
    private static String model(StepwiseServer s, String title, String field) {
        String name = title == null ? "" : title.replaceFirst("\\s*\\[[0-9a-fA-F]*\\]$", "").strip();
        List<String> names = ModelFolders.names(s.config.models());
        if (!names.contains(name)) {
            throw ApiException.bad(field, field + " '" + title + "' is not a model here; allowed: " + String.join(", ", names));
        }
        return name;
    }

    /**
     * txt2img, or img2img ({@code StableDiffusionImg2ImgProcessingAPI}: init_images, denoising_strength, resize_mode;
     * masks and inpainting are refused).
     */
    private static void generate(StepwiseServer s, State state, Context ctx, boolean img2img) throws InterruptedException {
        JsonNode body = s.body(ctx);
        Fields f = Fields.of(body, null);
        for (Map.Entry<String, Object> e : NEUTRAL.entrySet()) {
            if (f.has(e.getKey()) && !f.node(e.getKey()).equals(s.json.valueToTree(e.getValue()))) {
                throw ApiException.bad(e.getKey(), e.getKey() + " " + f.node(e.getKey()) + " is not supported here;"
                        + " allowed: " + e.getValue());
            }
        }
        String model = state.checkpoint;
        if (f.has("override_settings")) {
            Fields o = Fields.of(f.node("override_settings"), null, "override_settings.");
            if (o.has("sd_model_checkpoint")) {
                model = model(s, o.string("sd_model_checkpoint", null), "override_settings.sd_model_checkpoint");
            }
        }
        String samplerField = f.has("sampler_name") ? "sampler_name" : "sampler_index";
        String samplerName = f.string(samplerField, "Euler");
        A1111Names.Resolved sampler = A1111Names.sampler(samplerName, samplerField);
        String schedulerName = f.string("scheduler", "Automatic");
        // "Automatic": an old "DPM++ 2M Karras" name's schedule, or the label's own ("DPM++ 2M": karras), as A1111 does.
        String scheduler = A1111Names.scheduler(schedulerName, sampler, "scheduler");
        ModelConfig config = modelConfig(s, model);
        int h = config.sampleShape()[1], w = config.sampleShape()[2];
        long width = f.integer("width", w, 1, Integer.MAX_VALUE), height = f.integer("height", h, 1, Integer.MAX_VALUE);
        if (width != w || height != h) {
            throw ApiException.bad(width != w ? "width" : "height", "size " + width + "x" + height + " is not allowed; the"
                    + " model " + model + " makes " + w + "x" + h + " images: give width " + w + " and height " + h);
        }
        long seed = f.integer("seed", -1, -1, Long.MAX_VALUE);
        seed = seed == -1 ? GenerateSpec.randomSeed() : seed;
        int steps = (int) f.integer("steps", 20, 1, Integer.MAX_VALUE);
        double cfg = f.number("cfg_scale", 7.0);
        int batch = (int) f.integer("batch_size", 1, 1, Integer.MAX_VALUE);
        int iterations = (int) f.integer("n_iter", 1, 1, Integer.MAX_VALUE);
        String prompt = f.string("prompt", ""), negative = f.string("negative_prompt", "");
        GenerateSpec spec = new GenerateSpec(model, prompt, negative, sampler.sampler(), Map.of(), scheduler, Map.of(), steps,
                cfg, seed, batch, iterations, 1, "nearest");
        if (img2img) {
            spec = img2img(s, f, spec);
        }
        spec.check(s.config.models(), s.config.limits());
        Job done = NativeApi.await(s, s.queue.submit("a1111", spec, body.toString()));

        ObjectNode out = s.json.createObjectNode();
        ArrayNode images = out.putArray("images");
        if (f.bool("send_images", true)) {
            for (String img : done.images()) {
                images.add(Base64.getEncoder().encodeToString(s.image(img)));
            }
        }
        // "parameters": the request as A1111 echoes it, with the seed that was used; img2img leaves the init images
        // out unless include_init_images (modules/api/api.py img2imgapi).
        ObjectNode parameters = ((ObjectNode) body).deepCopy();
        parameters.put("seed", seed);
        if (img2img && !f.bool("include_init_images", false)) {
            parameters.putNull("init_images");
            parameters.putNull("mask");
        }
        out.set("parameters", parameters);
        out.put("info", info(s, done, spec, samplerName, schedulerName, width, height).toString());
        ctx.json(out);
    }

    /** A1111's resize_mode numbers (modules/images.py resize_image): 0 just resize, 1 crop and resize. */
    private static final List<String> RESIZE_MODES = List.of("just", "crop");

    /** The img2img fields of a request on a txt2img spec: one init image, its denoising strength and resize mode. */
    private static GenerateSpec img2img(StepwiseServer s, Fields f, GenerateSpec spec) {
        for (String unsupported : List.of("mask", "latent_mask")) {
            if (f.has(unsupported)) {
                throw ApiException.bad(unsupported, unsupported + " is not supported here (no inpainting); allowed: null");
            }
        }
        List<String> images = f.strings("init_images");
        if (images.size() != 1) {
            throw ApiException.bad("init_images", "init_images holds " + images.size() + " images; give exactly one"
                    + " base64 PNG or JPEG");
        }
        long mode = f.integer("resize_mode", 0, 0, 3);
        if (mode >= RESIZE_MODES.size()) {
            throw ApiException.bad("resize_mode", "resize_mode " + mode + " is not supported here; allowed: 0 (just"
                    + " resize), 1 (crop and resize)");
        }
        double strength = f.number("denoising_strength", GenerateSpec.DEFAULT_DENOISE);
        GenerateSpec out = spec.withInit(images.get(0), strength, RESIZE_MODES.get((int) mode));
        out.init("init_images");
        if (!(strength > 0 && strength <= 1)) {
            throw ApiException.bad("denoising_strength", "denoising_strength " + strength + " is not allowed; it must be"
                    + " in (0, 1]");
        }
        return out;
    }

    private static ModelConfig modelConfig(StepwiseServer s, String model) {
        try {
            return ModelConfig.read(ModelFolders.resolve(model, s.config.models(), "sd_model_checkpoint"));
        } catch (IllegalArgumentException e) {
            throw ApiException.bad("sd_model_checkpoint", e.getMessage());
        }
    }

    /** The "info" JSON of A1111's Processed.js(): the fields clients read (seeds, sizes, names, infotexts). */
    private static ObjectNode info(StepwiseServer s, Job done, GenerateSpec spec, String sampler, String scheduler,
                                   long width, long height) {
        ObjectNode n = s.json.createObjectNode();
        int count = done.images().size();
        n.put("prompt", spec.prompt());
        ArrayNode prompts = n.putArray("all_prompts"), negatives = n.putArray("all_negative_prompts"),
                seeds = n.putArray("all_seeds"), subseeds = n.putArray("all_subseeds");
        for (int i = 0; i < count; i++) {
            prompts.add(spec.prompt());
            negatives.add(spec.negative());
            // One seed draws a whole batch's noise here (torch.randn(B, ...)); batch i of n_iter uses seed + i * batch.
            seeds.add(spec.seed() + (long) (i / spec.batch()) * spec.batch());
            subseeds.add(-1);
        }
        n.put("negative_prompt", spec.negative()).put("seed", spec.seed()).put("subseed", -1).put("subseed_strength", 0)
                .put("width", width).put("height", height).put("sampler_name", sampler).put("scheduler", scheduler)
                .put("cfg_scale", spec.cfg()).put("steps", spec.steps()).put("batch_size", spec.batch())
                .put("restore_faces", false).putNull("face_restoration_model").put("sd_model_name", spec.model())
                .putNull("sd_model_hash").putNull("sd_vae_name").putNull("sd_vae_hash").put("seed_resize_from_w", -1)
                .put("seed_resize_from_h", -1);
        if (spec.initImage() != null) {
            n.put("denoising_strength", spec.denoise());
        } else {
            n.putNull("denoising_strength");
        }
        n.putObject("extra_generation_params");
        n.put("index_of_first_image", 0);
        n.set("infotexts", s.json.valueToTree(done.infotexts()));
        n.putArray("styles");
        n.put("job_timestamp", TIMESTAMP.format(done.created())).put("clip_skip", 1)
                .put("is_using_inpainting_conditioning", false).put("version", "stepwise");
        return n;
    }

    /**
     * A1111's progress of the one queue's running entry: a generate job's steps, or a compare run's cells (then
     * {@code sampling_step} stays 0 and {@code textinfo} says which run).
     */
    private static ObjectNode progress(StepwiseServer s, boolean skip) {
        JobQueue.Progress p = s.queue.progress();
        boolean steps = p != null && p.kind() == JobQueue.Kind.generate;
        ObjectNode n = s.json.createObjectNode();
        double fraction = p == null || p.total() == 0 ? 0 : (double) p.done() / p.total();
        double elapsed = p == null ? 0 : java.time.Duration.between(p.started(), java.time.Instant.now()).toMillis() / 1e3;
        n.put("progress", fraction).put("eta_relative", fraction > 0 ? elapsed / fraction - elapsed : 0);
        ObjectNode st = n.putObject("state");
        st.put("skipped", false).put("interrupted", false).put("stopping_generation", false)
                .put("job", p == null ? "" : p.id()).put("job_count", s.queue.waiting().size() + (p == null ? 0 : 1))
                .put("job_timestamp", p == null ? "0" : TIMESTAMP.format(p.started())).put("job_no", 0)
                .put("sampling_step", steps ? p.done() : 0).put("sampling_steps", steps ? p.total() : 0);
        // current_image: the latest preview (A1111 sends one every show_progress_every_n_steps; here about every
        // 0.1 s), unless the client asks ?skip_current_image=true.
        JobQueue.Preview preview = s.queue.preview();
        if (preview != null && !skip) {
            n.put("current_image", Base64.getEncoder().encodeToString(preview.png()));
        } else {
            n.putNull("current_image");
        }
        if (p != null && !steps) {
            n.put("textinfo", "compare run " + p.id() + ": " + p.done() + " of " + p.total() + " cells");
        } else {
            n.putNull("textinfo");
        }
        return n;
    }

    private static void pngInfo(StepwiseServer s, Context ctx) {
        Fields f = Fields.of(s.body(ctx), Set.of("image"));
        String image = f.string("image", "");
        if (image.isBlank()) {
            throw ApiException.bad("image", "image is empty; give a base64 PNG");
        }
        byte[] bytes = Fields.base64("image", image);
        Map<String, String> text;
        try {
            text = PngInfo.text(bytes);
        } catch (IllegalArgumentException e) {
            throw ApiException.bad("image", "image: " + e.getMessage());
        }
        String info = text.getOrDefault("parameters", "");
        ObjectNode n = s.json.createObjectNode();
        n.put("info", info);
        ObjectNode items = n.putObject("items");
        text.forEach((k, v) -> {
            if (!k.equals("parameters")) {
                items.put(k, v);
            }
        });
        n.set("parameters", s.json.valueToTree(info.isEmpty() ? Map.of() : Infotext.parse(info)));
        ctx.json(n);
    }
}
