package dev.stepwise.onnx.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stepwise.core.CompatProfile;
import dev.stepwise.core.samplers.A1111SamplerNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The generation settings stored in a PNG, for re-running them ({@code generate --from}): A1111's {@code parameters}
 * infotext (as Stepwise and A1111 write it) or, without one, ComfyUI's API-format {@code prompt} chunk. A field the
 * image does not store is null. Sampler names are resolved to the catalogue's (A1111 labels accepted) and the
 * scheduler to a catalogue name, so an unknown one fails here.
 *
 * @param source    where the settings came from, for messages: "A1111 parameters" or "ComfyUI prompt"
 * @param sampler   a catalogue sampler or an A1111 label ("DPM++ 2M Karras", whose scheduler part applies when
 *                  {@code scheduler} is null)
 * @param scheduler a catalogue scheduler or {@code file:...}
 * @param rng       "cpu" or "nv"
 * @param compat    the profile the image was made under: "a1111" for an A1111 PNG, "comfyui" for a ComfyUI one, and
 *                  for a Stepwise PNG the one its infotext records ({@link Infotext#forRun})
 * @param clipSkip  A1111's "Clip skip" (1 = none), or null
 */
public record StoredSettings(String source, String prompt, String negative, String model, Integer width,
                             Integer height, Integer batch, Long seed, Integer steps, Double cfg, String sampler,
                             String scheduler, Double denoise, String rng, String compat, Integer clipSkip) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The settings of a PNG's bytes.
     *
     * @throws IllegalArgumentException one line: not a PNG, no settings, or a setting that cannot be re-run
     */
    public static StoredSettings read(byte[] png) {
        Map<String, String> texts = PngInfo.text(png);
        String parameters = texts.get(PngWriter.KEYWORD), prompt = texts.get(ComfyPrompt.KEYWORD);
        if (parameters != null && !parameters.isBlank()) {
            return fromInfotext(parameters, prompt != null);
        }
        if (prompt != null && !prompt.isBlank()) {
            return fromComfyPrompt(prompt);
        }
        throw new IllegalArgumentException("the image stores no generation settings (no 'parameters' text as A1111 and "
                + "Stepwise write, nor a 'prompt' text as ComfyUI writes)");
    }

    /**
     * From an infotext (Infotext.parse's fields). Stepwise writes both chunks and records a profile other than
     * ComfyUI's ("Compat: a1111"); A1111 writes only its own, so a PNG without a ComfyUI chunk or a Compat field is
     * A1111's. A1111 names its RNG only when it is not its default "GPU", whose numbers the NV generator reproduces
     * (modules/processing.py create_infotext, "RNG"); Stepwise names it only when it is not the profile's own.
     */
    static StoredSettings fromInfotext(String text, boolean alsoComfyChunk) {
        Map<String, String> p = Infotext.parse(text);
        String src = "A1111 parameters";
        if (!p.containsKey("Steps") && !p.containsKey("Sampler") && !p.containsKey("Seed")) {
            throw new IllegalArgumentException("the 'parameters' text has no settings line (Steps: .., Sampler: .., "
                    + "Seed: ..), only a prompt");
        }
        String compatField = p.get(Infotext.COMPAT);
        CompatProfile compat;
        if (compatField == null) {
            compat = alsoComfyChunk ? CompatProfile.COMFYUI : CompatProfile.A1111;
        } else {
            try {
                compat = CompatProfile.parse(compatField);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(Infotext.COMPAT + " '" + compatField + "' in the " + src
                        + " is not known here; allowed: comfyui, a1111");
            }
        }
        String rngField = p.get("RNG");
        String rng;
        if (rngField == null) {
            rng = compat.rng().cliName();
        } else {
            rng = switch (rngField.strip().toUpperCase(Locale.ROOT)) {
                case "CPU" -> "cpu";
                case "NV", "GPU" -> "nv";
                default -> throw new IllegalArgumentException("RNG '" + rngField + "' in the " + src
                        + " is not known here; allowed: CPU, GPU, NV");
            };
        }
        String sampler = p.get("Sampler");
        if (sampler != null) {
            sampler(sampler, src);
        }
        String schedule = p.get("Schedule type");
        return new StoredSettings(src, p.get("Prompt"), p.getOrDefault("Negative prompt", ""), p.get("Model"),
                integer(p.get("Size-1"), "Size", src), integer(p.get("Size-2"), "Size", src),
                integer(p.get("Batch size"), "Batch size", src), whole(p.get("Seed"), "Seed", src),
                integer(p.get("Steps"), "Steps", src), real(p.get("CFG scale"), "CFG scale", src), sampler,
                schedule == null ? null : automatic(schedule, sampler) ? A1111SamplerNames.entry(sampler)
                        .flatMap(A1111SamplerNames.Label::automaticScheduler).orElse("normal")
                        : scheduler(schedule, src), real(p.get("Denoising strength"),
                "Denoising strength", src), rng, compat.name(), integer(p.get("Clip skip"), "Clip skip", src));
    }

    /**
     * From ComfyUI's API-format workflow: the sampler node that feeds the SaveImage (through VAEDecode), else the
     * only KSampler; its prompts from the CLIPTextEncode nodes it links to, the size and batch from an
     * EmptyLatentImage, the model from CheckpointLoaderSimple's ckpt_name without its extension. Input names follow
     * ComfyUI's nodes.py (KSampler, KSamplerAdvanced). ComfyUI's noise is torch's CPU generator.
     */
    static StoredSettings fromComfyPrompt(String json) {
        String src = "ComfyUI prompt";
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the 'prompt' text is not JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("the 'prompt' text is not ComfyUI's API format (an object of nodes)");
        }
        String samplerId = samplerNode(root);
        JsonNode k = root.get(samplerId).path("inputs");
        String cls = root.get(samplerId).path("class_type").asText();
        String where = "node " + samplerId + " (" + cls + ")";
        boolean advanced = cls.equals("KSamplerAdvanced");
        long seed = value(k, advanced ? "noise_seed" : "seed", where).asLong();
        int steps = value(k, "steps", where).asInt();
        double denoise = 1;
        if (advanced) {
            int start = value(k, "start_at_step", where).asInt(), end = value(k, "end_at_step", where).asInt();
            String addNoise = value(k, "add_noise", where).asText();
            if (start != 0 || end < steps || !addNoise.equals("enable")) {
                throw new IllegalArgumentException(where + " runs steps " + start + ".." + end + " of " + steps
                        + " with add_noise " + addNoise + "; --from re-runs a whole schedule (start_at_step 0, "
                        + "end_at_step >= steps, add_noise enable)");
            }
        } else if (k.has("denoise")) {
            denoise = value(k, "denoise", where).asDouble();
        }
        String sampler = value(k, "sampler_name", where).asText();
        sampler(sampler, src);
        String scheduler = scheduler(value(k, "scheduler", where).asText(), src);
        String positive = text(root, k, "positive", where), negative = text(root, k, "negative", where);
        Integer width = null, height = null, batch = null;
        JsonNode latent = linked(root, k, "latent_image", where);
        if (latent != null && latent.path("class_type").asText().equals("EmptyLatentImage")) {
            JsonNode li = latent.path("inputs");
            String lw = "the EmptyLatentImage";
            width = value(li, "width", lw).asInt();
            height = value(li, "height", lw).asInt();
            batch = li.has("batch_size") ? value(li, "batch_size", lw).asInt() : null;
        }
        String model = null;
        JsonNode loader = linked(root, k, "model", where);
        if (loader != null && loader.path("inputs").path("ckpt_name").isTextual()) {
            model = loader.path("inputs").get("ckpt_name").asText().replaceFirst("\\.(safetensors|ckpt|pt|pth)$", "");
        }
        return new StoredSettings(src, positive, negative, model, width, height, batch, seed, steps,
                value(k, "cfg", where).asDouble(), sampler, scheduler, denoise, "cpu", CompatProfile.COMFYUI.name(),
                clipSkip(root, linked(root, k, "positive", where)));
    }

    /**
     * The clip skip of a CLIPTextEncode whose clip input comes through CLIPSetLastLayer (stop_at_clip_layer -N is
     * A1111's clip skip N; nodes.py allows -24..-1), or null when the encoder reads the loader's CLIP directly.
     */
    private static Integer clipSkip(JsonNode root, JsonNode encoder) {
        JsonNode last = linked(root, encoder.path("inputs"), "clip", "the positive CLIPTextEncode");
        if (last == null || !last.path("class_type").asText().equals("CLIPSetLastLayer")) {
            return null;
        }
        String where = "the CLIPSetLastLayer";
        JsonNode layer = value(last.path("inputs"), "stop_at_clip_layer", where);
        if (!layer.canConvertToInt() || layer.asInt() > -1 || layer.asInt() < -24 || layer.asDouble() != layer.asInt()) {
            throw new IllegalArgumentException(where + "'s stop_at_clip_layer is " + layer
                    + "; allowed: a whole number from -24 to -1");
        }
        return -layer.asInt();
    }

    private static final List<String> SAMPLER_NODES = List.of("KSampler", "KSamplerAdvanced");

    private static String samplerNode(JsonNode root) {
        for (Map.Entry<String, JsonNode> node : root.properties()) {
            JsonNode save = node.getValue();
            if (save.path("class_type").asText().equals("SaveImage")) {
                String decode = linkId(save.path("inputs").get("images"));
                JsonNode d = decode == null ? null : root.get(decode);
                String s = d == null ? null : linkId(d.path("inputs").get("samples"));
                if (s != null && root.has(s) && SAMPLER_NODES.contains(root.get(s).path("class_type").asText())) {
                    return s;
                }
            }
        }
        List<String> samplers = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            if (SAMPLER_NODES.contains(e.getValue().path("class_type").asText())) {
                samplers.add(e.getKey());
            }
        }
        if (samplers.size() != 1) {
            throw new IllegalArgumentException("the ComfyUI prompt has " + samplers.size() + " KSampler nodes and none"
                    + " feeds a SaveImage through VAEDecode; expected one sampler to re-run");
        }
        return samplers.get(0);
    }

    /** A link's node id ([id, output]), or null when the input is not a link. */
    private static String linkId(JsonNode input) {
        return input != null && input.isArray() && input.size() == 2 ? input.get(0).asText() : null;
    }

    private static JsonNode linked(JsonNode root, JsonNode inputs, String name, String where) {
        String id = linkId(inputs.get(name));
        if (id == null) {
            return null;
        }
        JsonNode n = root.get(id);
        if (n == null) {
            throw new IllegalArgumentException("input '" + name + "' of " + where + " links to node " + id
                    + ", which the prompt does not have");
        }
        return n;
    }

    private static String text(JsonNode root, JsonNode inputs, String name, String where) {
        JsonNode n = linked(root, inputs, name, where);
        if (n == null || !n.path("class_type").asText().equals("CLIPTextEncode")
                || !n.path("inputs").path("text").isTextual()) {
            throw new IllegalArgumentException("input '" + name + "' of " + where + " is not a CLIPTextEncode with a "
                    + "plain text; --from re-runs text prompts only");
        }
        return n.path("inputs").get("text").asText();
    }

    /** A plain value (not a link to another node) of a node's inputs. */
    private static JsonNode value(JsonNode inputs, String name, String where) {
        JsonNode v = inputs.get(name);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(where + " has no input '" + name + "'");
        }
        if (v.isContainerNode()) {
            throw new IllegalArgumentException("input '" + name + "' of " + where + " is " + v
                    + ", a link to another node; --from reads plain values only");
        }
        if (!name.equals("sampler_name") && !name.equals("scheduler") && !name.equals("add_noise") && !v.isNumber()) {
            throw new IllegalArgumentException("input '" + name + "' of " + where + " is " + v + ", expected a number");
        }
        return v;
    }

    private static void sampler(String name, String src) {
        try {
            A1111SamplerNames.resolve(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sampler '" + name + "' (from the " + src + ") is not known here; "
                    + "allowed: the names of 'stepwise list samplers' or an A1111 label such as \"DPM++ 2M Karras\"");
        }
    }

    /** A1111's "Automatic" picks the sampler label's own scheduler (sd_samplers_kdiffusion.py), else normal. */
    private static boolean automatic(String schedule, String sampler) {
        return sampler != null && schedule.strip().equalsIgnoreCase("automatic");
    }

    private static String scheduler(String name, String src) {
        try {
            return A1111SamplerNames.scheduler(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replaceFirst(" is not known", " (from the " + src
                    + ") is not known"));
        }
    }

    private static Integer integer(String v, String key, String src) {
        Long l = whole(v, key, src);
        if (l != null && (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE)) {
            throw new IllegalArgumentException(key + " '" + v + "' in the " + src + " is out of range");
        }
        return l == null ? null : l.intValue();
    }

    private static Long whole(String v, String key, String src) {
        if (v == null) {
            return null;
        }
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " '" + v + "' in the " + src + " is not a whole number");
        }
    }

    private static Double real(String v, String key, String src) {
        if (v == null) {
            return null;
        }
        try {
            return Double.parseDouble(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " '" + v + "' in the " + src + " is not a number");
        }
    }
}
