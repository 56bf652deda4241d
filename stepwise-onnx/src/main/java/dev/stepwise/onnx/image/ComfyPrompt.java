package dev.stepwise.onnx.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A run's settings as a ComfyUI API-format workflow, the JSON ComfyUI's SaveImage stores in a PNG's {@code prompt}
 * text chunk (node id to {"inputs", "class_type"}; a link is [node id, output index]), so that dropping the image
 * into ComfyUI loads the graph: CheckpointLoaderSimple, CLIPTextEncode for both prompts, EmptyLatentImage (or, for
 * img2img, LoadImage, ImageScale and VAEEncode), KSampler, VAEDecode, SaveImage. Input names follow nodes.py. A
 * clip skip above 1 adds CLIPSetLastLayer between the loader and both encoders, its stop_at_clip_layer being
 * minus A1111's "Clip skip" (-1 is the last layer, -2 the one before: the node's own description).
 *
 * @param initImage the img2img input's file name (LoadImage reads it from ComfyUI's input folder), or null
 * @param crop      with an init image: ImageScale's crop, "disabled" (A1111's just resize) or "center" (crop)
 * @param clipSkip  A1111's clip skip: 1 uses the last layer, N the N-th from the end
 */
public record ComfyPrompt(String checkpoint, String prompt, String negative, int width, int height, int batch,
                          long seed, int steps, double cfg, String sampler, String scheduler, double denoise,
                          String initImage, String crop, int clipSkip) {

    /** The workflow of a run that uses the text encoders' last layer. */
    public ComfyPrompt(String checkpoint, String prompt, String negative, int width, int height, int batch,
                       long seed, int steps, double cfg, String sampler, String scheduler, double denoise,
                       String initImage, String crop) {
        this(checkpoint, prompt, negative, width, height, batch, seed, steps, cfg, sampler, scheduler, denoise,
                initImage, crop, 1);
    }

    /** The PNG text keyword ComfyUI reads the API-format workflow from. */
    public static final String KEYWORD = "prompt";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The same workflow with another seed (one image of a batch count). */
    public ComfyPrompt withSeed(long s) {
        return new ComfyPrompt(checkpoint, prompt, negative, width, height, batch, s, steps, cfg, sampler, scheduler,
                denoise, initImage, crop, clipSkip);
    }

    /** The same workflow with another clip skip. */
    public ComfyPrompt withClipSkip(int skip) {
        return new ComfyPrompt(checkpoint, prompt, negative, width, height, batch, seed, steps, cfg, sampler,
                scheduler, denoise, initImage, crop, skip);
    }

    /** The workflow as one line of JSON. */
    public String format() {
        ObjectNode root = JSON.createObjectNode();
        node(root, "4", "CheckpointLoaderSimple").put("ckpt_name", checkpoint);
        String clip = "4";
        int clipOutput = 1;
        if (clipSkip > 1) {
            ObjectNode last = node(root, "13", "CLIPSetLastLayer");
            last.put("stop_at_clip_layer", -clipSkip);
            last.set("clip", link("4", 1));
            clip = "13";
            clipOutput = 0;
        }
        ObjectNode pos = node(root, "6", "CLIPTextEncode");
        pos.put("text", prompt);
        pos.set("clip", link(clip, clipOutput));
        ObjectNode neg = node(root, "7", "CLIPTextEncode");
        neg.put("text", negative);
        neg.set("clip", link(clip, clipOutput));
        String latent;
        if (initImage == null) {
            ObjectNode empty = node(root, "5", "EmptyLatentImage");
            empty.put("width", width);
            empty.put("height", height);
            empty.put("batch_size", batch);
            latent = "5";
        } else {
            // A batch of one: ComfyUI would need a RepeatLatentBatch node for more.
            node(root, "10", "LoadImage").put("image", initImage);
            ObjectNode scale = node(root, "11", "ImageScale");
            scale.set("image", link("10", 0));
            scale.put("upscale_method", "bicubic");
            scale.put("width", width);
            scale.put("height", height);
            scale.put("crop", crop);
            ObjectNode enc = node(root, "12", "VAEEncode");
            enc.set("pixels", link("11", 0));
            enc.set("vae", link("4", 2));
            latent = "12";
        }
        ObjectNode k = node(root, "3", "KSampler");
        k.put("seed", seed);
        k.put("steps", steps);
        k.put("cfg", cfg);
        k.put("sampler_name", sampler);
        k.put("scheduler", scheduler);
        k.put("denoise", denoise);
        k.set("model", link("4", 0));
        k.set("positive", link("6", 0));
        k.set("negative", link("7", 0));
        k.set("latent_image", link(latent, 0));
        ObjectNode dec = node(root, "8", "VAEDecode");
        dec.set("samples", link("3", 0));
        dec.set("vae", link("4", 2));
        ObjectNode save = node(root, "9", "SaveImage");
        save.put("filename_prefix", "stepwise");
        save.set("images", link("8", 0));
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode node(ObjectNode root, String id, String classType) {
        ObjectNode n = root.putObject(id);
        ObjectNode inputs = n.putObject("inputs");
        n.put("class_type", classType);
        return inputs;
    }

    private static ArrayNode link(String node, int output) {
        return JSON.createArrayNode().add(node).add(output);
    }
}
