package dev.stepwise.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.onnx.ModelConfig;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.websocket.WsContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The ComfyUI API subset: {@code POST /prompt} with an API-format graph of the core nodes (CheckpointLoaderSimple,
 * CLIPTextEncode, EmptyLatentImage, KSampler, KSamplerAdvanced, VAEDecode, SaveImage), {@code /history}, {@code /view},
 * {@code /queue}, {@code /interrupt}, {@code /object_info} and the {@code /ws} messages, in the shapes of ComfyUI's
 * server.py and execution.py. A graph becomes one {@link GenerateSpec} and goes through the same queue as every job.
 */
final class ComfyApi {
    private ComfyApi() {
    }

    /** The nodes this subset runs, with their inputs (ComfyUI's nodes.py INPUT_TYPES) and outputs. */
    private static final Map<String, String[]> NODES = new LinkedHashMap<>();

    static {
        // class: output types, then "name:TYPE" inputs
        NODES.put("CheckpointLoaderSimple", new String[] {"MODEL,CLIP,VAE", "ckpt_name:COMBO"});
        NODES.put("CLIPTextEncode", new String[] {"CONDITIONING", "text:STRING", "clip:CLIP"});
        NODES.put("EmptyLatentImage", new String[] {"LATENT", "width:INT", "height:INT", "batch_size:INT"});
        NODES.put("KSampler", new String[] {"LATENT", "model:MODEL", "seed:INT", "steps:INT", "cfg:FLOAT", "sampler_name:SAMPLER",
                "scheduler:SCHEDULER", "positive:CONDITIONING", "negative:CONDITIONING", "latent_image:LATENT", "denoise:FLOAT"});
        NODES.put("KSamplerAdvanced", new String[] {"LATENT", "model:MODEL", "add_noise:COMBO", "noise_seed:INT", "steps:INT",
                "cfg:FLOAT", "sampler_name:SAMPLER", "scheduler:SCHEDULER", "positive:CONDITIONING", "negative:CONDITIONING",
                "latent_image:LATENT", "start_at_step:INT", "end_at_step:INT", "return_with_leftover_noise:COMBO"});
        NODES.put("VAEDecode", new String[] {"IMAGE", "samples:LATENT", "vae:VAE"});
        NODES.put("SaveImage", new String[] {"", "images:IMAGE", "filename_prefix:STRING"});
    }

    /** A refusal of one node, in ComfyUI's node_errors shape. */
    static final class NodeError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String node;
        final String classType;
        final String type;
        final String input;

        NodeError(String node, String classType, String type, String message, String input) {
            super(message, null, false, false);
            this.node = node;
            this.classType = classType;
            this.type = type;
            this.input = input;
        }
    }

    static void routes(StepwiseServer s, JavalinConfig c) {
        AtomicInteger number = new AtomicInteger();
        Map<String, Integer> numbers = new ConcurrentHashMap<>();
        Subscribers<WsContext> sockets = new Subscribers<>();
        c.routes.post("/prompt", ctx -> prompt(s, ctx, number, numbers));
        c.routes.get("/prompt", ctx -> ctx.json(status(s)));
        c.routes.get("/history/{id}", ctx -> {
            ObjectNode out = s.json.createObjectNode();
            s.queue.get(ctx.pathParam("id")).filter(j -> j.api().equals("comfyui") && j.state().finished())
                    .ifPresent(j -> out.set(j.id(), history(s, j, numbers)));
            ctx.json(out);
        });
        c.routes.get("/history", ctx -> {
            ObjectNode out = s.json.createObjectNode();
            for (Job j : s.queue.latest(100)) {
                if (j.api().equals("comfyui") && j.state().finished()) {
                    out.set(j.id(), history(s, j, numbers));
                }
            }
            ctx.json(out);
        });
        c.routes.get("/view", ctx -> view(s, ctx));
        c.routes.get("/queue", ctx -> {
            // Every entry of the one queue: other APIs' jobs and compare runs too, with an empty graph.
            ObjectNode out = s.json.createObjectNode();
            ArrayNode running = out.putArray("queue_running"), pending = out.putArray("queue_pending");
            JobQueue.Progress p = s.queue.progress();
            if (p != null) {
                running.add(item(s, p.id(), numbers));
            }
            for (JobQueue.Entry e : s.queue.waiting()) {
                pending.add(item(s, e.id(), numbers));
            }
            ctx.json(out);
        });
        c.routes.post("/interrupt", ctx -> {
            s.queue.interrupt();
            ctx.status(200);
        });
        c.routes.get("/object_info", ctx -> ctx.json(objectInfo(s)));
        c.routes.ws("/ws", ws -> {
            ws.onConnect(w -> {
                String sid = w.queryParam("clientId");
                sockets.join(w, x -> {
                    ObjectNode m = message(s, "status");
                    ((ObjectNode) m.get("data")).setAll(status(s));
                    ((ObjectNode) m.get("data")).put("sid", sid == null ? x.sessionId() : sid);
                    x.send(m.toString());
                });
            });
            ws.onClose(sockets::leave);
            ws.onError(sockets::leave);
        });
        s.queue.onChange(j -> {
            if (!j.api().equals("comfyui")) {
                return;
            }
            if (j.state() == Job.State.running) {
                broadcast(sockets, executing(s, j.id(), samplerNode(s, j)));
            } else if (j.state() == Job.State.done) {
                ObjectNode m = message(s, "executed");
                ObjectNode d = (ObjectNode) m.get("data");
                d.put("node", saveNode(s, j)).put("prompt_id", j.id());
                d.putObject("output").set("images", images(s, j));
                broadcast(sockets, m);
                broadcast(sockets, executing(s, j.id(), null));
            } else if (j.state().finished()) {
                ObjectNode m = message(s, j.state() == Job.State.cancelled ? "execution_interrupted" : "execution_error");
                ((ObjectNode) m.get("data")).put("prompt_id", j.id()).put("exception_message", String.valueOf(j.error()));
                broadcast(sockets, m);
            }
        });
        s.queue.onQueueChange(() -> broadcast(sockets, status(s, "status")));
        s.queue.onProgress(p -> {
            if (sockets.isEmpty()) {
                return;
            }
            s.queue.get(p.id()).filter(j -> j.api().equals("comfyui")).ifPresent(j -> {
                ObjectNode m = message(s, "progress");
                ((ObjectNode) m.get("data")).put("value", p.done()).put("max", p.total()).put("prompt_id", j.id())
                        .put("node", samplerNode(s, j));
                broadcast(sockets, m);
            });
        });
        s.queue.onPreview(p -> {
            if (sockets.isEmpty() || s.queue.get(p.id()).filter(j -> j.api().equals("comfyui")).isEmpty()) {
                return;
            }
            ByteBuffer frame = previewFrame(p.png());
            sockets.send(w -> w.send(frame.duplicate()));
        });
    }

    /** ComfyUI's BinaryEventTypes.PREVIEW_IMAGE (server.py). */
    static final int PREVIEW_IMAGE = 1;
    /** send_image's image type number for a PNG (1 is JPEG). */
    static final int PNG = 2;

    /**
     * A live preview as ComfyUI's server.py sends it (send_image, then encode_bytes): a binary frame of the event type
     * and the image type, each a 4-byte big-endian number, then the image's bytes.
     */
    static ByteBuffer previewFrame(byte[] png) {
        ByteBuffer b = ByteBuffer.allocate(8 + png.length);
        b.putInt(PREVIEW_IMAGE).putInt(PNG).put(png).flip();
        return b.asReadOnlyBuffer();
    }

    private static ObjectNode message(StepwiseServer s, String type) {
        ObjectNode m = s.json.createObjectNode();
        m.put("type", type);
        m.putObject("data");
        return m;
    }

    private static ObjectNode executing(StepwiseServer s, String id, String node) {
        ObjectNode m = message(s, "executing");
        ((ObjectNode) m.get("data")).put("node", node).put("prompt_id", id);
        return m;
    }

    private static ObjectNode status(StepwiseServer s, String type) {
        ObjectNode m = message(s, type);
        ((ObjectNode) m.get("data")).setAll(status(s));
        return m;
    }

    /** {"status": {"exec_info": {"queue_remaining": n}}}, as ComfyUI's get_queue_info. */
    private static ObjectNode status(StepwiseServer s) {
        ObjectNode n = s.json.createObjectNode();
        n.putObject("status").putObject("exec_info").put("queue_remaining",
                s.queue.waiting().size() + (s.queue.progress() == null ? 0 : 1));
        return n;
    }

    private static void broadcast(Subscribers<WsContext> sockets, ObjectNode m) {
        String text = m.toString();
        sockets.send(w -> w.send(text));
    }

    /** A ComfyUI job's graph; an empty one for another API's job. */
    private static JsonNode graph(StepwiseServer s, Job j) {
        if (!j.api().equals("comfyui")) {
            return s.json.createObjectNode();
        }
        try {
            return s.json.readTree(j.request()).get("prompt");
        } catch (IOException e) {
            return s.json.createObjectNode();
        }
    }

    private static String saveNode(StepwiseServer s, Job j) {
        return nodeOf(graph(s, j), "SaveImage");
    }

    private static String samplerNode(StepwiseServer s, Job j) {
        JsonNode g = graph(s, j);
        String k = nodeOf(g, "KSampler");
        return k != null ? k : nodeOf(g, "KSamplerAdvanced");
    }

    private static String nodeOf(JsonNode graph, String classType) {
        for (Map.Entry<String, JsonNode> e : graph.properties()) {
            if (classType.equals(e.getValue().path("class_type").asText())) {
                return e.getKey();
            }
        }
        return null;
    }

    private static ArrayNode images(StepwiseServer s, Job j) {
        ArrayNode images = s.json.createArrayNode();
        for (String img : j.images()) {
            int slash = img.indexOf('/');
            images.addObject().put("filename", img.substring(slash + 1)).put("subfolder", img.substring(0, slash))
                    .put("type", "output");
        }
        return images;
    }

    /**
     * A queue item as ComfyUI's /queue lists it: [number, prompt_id, graph, extra_data, outputs to execute]; another
     * API's job and a compare run (not a job) have an empty graph and no outputs.
     */
    private static ArrayNode item(StepwiseServer s, String id, Map<String, Integer> numbers) {
        Job j = s.queue.get(id).orElse(null);
        ArrayNode a = s.json.createArrayNode();
        a.add(numbers.getOrDefault(id, 0)).add(id).add(j == null ? s.json.createObjectNode() : graph(s, j)).addObject();
        ArrayNode outputs = a.addArray();
        String save = j == null ? null : saveNode(s, j);
        if (save != null) {
            outputs.add(save);
        }
        return a;
    }

    private static ObjectNode history(StepwiseServer s, Job j, Map<String, Integer> numbers) {
        ObjectNode h = s.json.createObjectNode();
        h.set("prompt", item(s, j.id(), numbers));
        ObjectNode outputs = h.putObject("outputs");
        if (j.state() == Job.State.done) {
            outputs.putObject(saveNode(s, j)).set("images", images(s, j));
        }
        ObjectNode st = h.putObject("status");
        st.put("status_str", j.state() == Job.State.done ? "success" : "error")
                .put("completed", j.state() == Job.State.done);
        ArrayNode messages = st.putArray("messages");
        if (j.error() != null) {
            messages.addArray().add(j.state() == Job.State.cancelled ? "execution_interrupted" : "execution_error")
                    .addObject().put("prompt_id", j.id()).put("exception_message", j.error());
        }
        return h;
    }

    private static void prompt(StepwiseServer s, Context ctx, AtomicInteger number, Map<String, Integer> numbers) {
        JsonNode body = s.body(ctx);
        Fields f = Fields.of(body, null);
        JsonNode graph = f.node("prompt");
        if (graph == null || !graph.isObject() || graph.isEmpty()) {
            throw ApiException.bad("prompt", "prompt must be an API-format graph: an object of nodes {\"3\": {\"class_type\":"
                    + " \"KSampler\", \"inputs\": {...}}}");
        }
        GenerateSpec spec;
        try {
            spec = spec(s, graph);
            try {
                spec.check(s.config.models(), s.config.limits());
            } catch (ApiException e) {
                throw inputError(graph, e);
            }
        } catch (NodeError e) {
            nodeErrors(s, ctx, e);
            return;
        }
        ObjectNode stored = s.json.createObjectNode();
        stored.set("prompt", graph);
        if (f.has("client_id")) {
            stored.set("client_id", f.node("client_id"));
        }
        Job j = s.queue.submit("comfyui", spec, stored.toString());
        int n = number.getAndIncrement();
        numbers.put(j.id(), n);
        ObjectNode out = s.json.createObjectNode();
        out.put("prompt_id", j.id()).put("number", n);
        out.putObject("node_errors");
        ctx.json(out);
    }

    /** A library refusal moved onto the node and input that gave the value. */
    private static NodeError inputError(JsonNode graph, ApiException e) {
        String sampler = nodeOf(graph, "KSampler") != null ? nodeOf(graph, "KSampler") : nodeOf(graph, "KSamplerAdvanced");
        String field = e.field() == null ? "" : e.field();
        String node = sampler, input = switch (field) {
            case "steps", "cfg", "sampler", "scheduler" -> field.equals("sampler") ? "sampler_name" : field;
            case "batch", "iterations" -> "batch_size";
            case "model" -> "ckpt_name";
            case "prompt", "negative" -> "text";
            default -> field;
        };
        if (field.equals("batch") || field.equals("iterations")) {
            node = nodeOf(graph, "EmptyLatentImage");
        } else if (field.equals("model")) {
            node = nodeOf(graph, "CheckpointLoaderSimple");
        } else if (field.equals("prompt") || field.equals("negative")) {
            node = link(graph, sampler, field.equals("prompt") ? "positive" : "negative");
        }
        return new NodeError(node, graph.path(node).path("class_type").asText(), "value_not_valid", e.getMessage(), input);
    }

    private static void nodeErrors(StepwiseServer s, Context ctx, NodeError e) {
        ObjectNode out = s.json.createObjectNode();
        boolean unknown = e.type.equals("invalid_prompt");
        ObjectNode err = out.putObject("error");
        err.put("type", unknown ? "invalid_prompt" : "prompt_outputs_failed_validation")
                .put("message", unknown ? e.getMessage() : "Prompt outputs failed validation")
                .put("details", unknown ? "Node ID '#" + e.node + "'" : e.getMessage());
        err.putObject("extra_info");
        ObjectNode nodes = out.putObject("node_errors");
        if (e.node != null) {
            ObjectNode n = nodes.putObject(e.node);
            ObjectNode one = n.putArray("errors").addObject();
            one.put("type", e.type).put("message", e.getMessage()).put("details", e.input == null ? "" : e.input);
            ObjectNode extra = one.putObject("extra_info");
            if (e.input != null) {
                extra.put("input_name", e.input);
            }
            n.putArray("dependent_outputs");
            n.put("class_type", e.classType);
        }
        ctx.attribute("stepwise.error", Boolean.TRUE);
        ctx.status(400).contentType("application/json").result(out.toString());
    }

    /** The node a link input points to: inputs {"positive": ["6", 0]}. */
    private static String link(JsonNode graph, String node, String input) {
        JsonNode v = graph.path(node).path("inputs").get(input);
        if (v == null || !v.isArray() || v.size() != 2 || !v.get(0).isTextual() || !graph.has(v.get(0).asText())) {
            throw new NodeError(node, graph.path(node).path("class_type").asText(), "required_input_missing",
                    "Required input is missing: " + input + " (a link [\"NODE\", OUTPUT] to a node of the graph)", input);
        }
        return v.get(0).asText();
    }

    private static JsonNode value(JsonNode graph, String node, String input) {
        JsonNode v = graph.path(node).path("inputs").get(input);
        if (v == null || v.isNull()) {
            throw new NodeError(node, graph.path(node).path("class_type").asText(), "required_input_missing",
                    "Required input is missing: " + input, input);
        }
        return v;
    }

    private static String text(JsonNode graph, String node, String input) {
        JsonNode v = value(graph, node, input);
        if (!v.isTextual()) {
            throw new NodeError(node, graph.path(node).path("class_type").asText(), "invalid_input_type",
                    input + " must be a string, not " + v, input);
        }
        return v.asText();
    }

    private static long integer(JsonNode graph, String node, String input) {
        JsonNode v = value(graph, node, input);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new NodeError(node, graph.path(node).path("class_type").asText(), "invalid_input_type",
                    input + " must be a whole number, not " + v, input);
        }
        return v.asLong();
    }

    private static double number(JsonNode graph, String node, String input) {
        JsonNode v = value(graph, node, input);
        if (!v.isNumber()) {
            throw new NodeError(node, graph.path(node).path("class_type").asText(), "invalid_input_type",
                    input + " must be a number, not " + v, input);
        }
        return v.asDouble();
    }

    private static String expect(JsonNode graph, String node, String classType, String from, String input) {
        String got = graph.path(node).path("class_type").asText();
        if (!got.equals(classType)) {
            throw new NodeError(from, graph.path(from).path("class_type").asText(), "return_type_mismatch",
                    input + " must come from a " + classType + " node, not " + got + " (node " + node + ")", input);
        }
        return node;
    }

    /** The graph as one generate spec: SaveImage ← VAEDecode ← KSampler(Advanced) ← loader, prompts, latent. */
    static GenerateSpec spec(StepwiseServer s, JsonNode graph) {
        String save = null;
        for (Map.Entry<String, JsonNode> e : graph.properties()) {
            JsonNode n = e.getValue();
            String type = n.path("class_type").asText("");
            if (!n.isObject() || !NODES.containsKey(type)) {
                throw new NodeError(e.getKey(), type, "invalid_prompt", "Cannot execute because node " + type
                        + " does not exist here; allowed: " + String.join(", ", NODES.keySet()), null);
            }
            if (!n.path("inputs").isObject()) {
                throw new NodeError(e.getKey(), type, "required_input_missing", "node " + e.getKey() + " has no inputs", null);
            }
            if (type.equals("SaveImage")) {
                if (save != null) {
                    throw new NodeError(e.getKey(), type, "value_not_valid", "one SaveImage per prompt here (also node "
                            + save + ")", null);
                }
                save = e.getKey();
            }
        }
        if (save == null) {
            throw new NodeError(null, null, "prompt_no_outputs", "Prompt has no outputs: add a SaveImage node", null);
        }
        String decode = expect(graph, link(graph, save, "images"), "VAEDecode", save, "images");
        String sampler = link(graph, decode, "samples");
        String samplerType = graph.path(sampler).path("class_type").asText();
        if (!samplerType.equals("KSampler") && !samplerType.equals("KSamplerAdvanced")) {
            expect(graph, sampler, "KSampler", decode, "samples");
        }
        String loader = expect(graph, link(graph, sampler, "model"), "CheckpointLoaderSimple", sampler, "model");
        expect(graph, link(graph, decode, "vae"), "CheckpointLoaderSimple", decode, "vae");
        String positive = expect(graph, link(graph, sampler, "positive"), "CLIPTextEncode", sampler, "positive");
        String negative = expect(graph, link(graph, sampler, "negative"), "CLIPTextEncode", sampler, "negative");
        String latent = expect(graph, link(graph, sampler, "latent_image"), "EmptyLatentImage", sampler, "latent_image");
        String ckpt = text(graph, loader, "ckpt_name");
        // ComfyUI names checkpoint files; a model folder's name with a checkpoint extension is taken as that folder.
        String model = ckpt.replaceFirst("\\.(safetensors|ckpt|pt|onnx)$", "");
        List<String> names = ModelFolders.names(s.config.models());
        if (!names.contains(model)) {
            throw new NodeError(loader, "CheckpointLoaderSimple", "value_not_in_list", "Value not in list: ckpt_name: '"
                    + ckpt + "' not in " + names, "ckpt_name");
        }
        ModelConfig config = ModelConfig.read(s.config.models().resolve(model));
        long width = integer(graph, latent, "width"), height = integer(graph, latent, "height");
        int w = config.sampleShape()[2], h = config.sampleShape()[1];
        if (width != w || height != h) {
            throw new NodeError(latent, "EmptyLatentImage", "value_not_valid", "size " + width + "x" + height + " is not"
                    + " allowed; the model " + model + " makes " + w + "x" + h + " images: give width " + w + " and height " + h,
                    width != w ? "width" : "height");
        }
        long batch = integer(graph, latent, "batch_size");
        boolean advanced = samplerType.equals("KSamplerAdvanced");
        long seed = integer(graph, sampler, advanced ? "noise_seed" : "seed");
        long steps = integer(graph, sampler, "steps");
        if (advanced) {
            check(graph, sampler, "add_noise", text(graph, sampler, "add_noise").equals("enable"), "enable");
            check(graph, sampler, "start_at_step", integer(graph, sampler, "start_at_step") == 0, "0");
            check(graph, sampler, "end_at_step", integer(graph, sampler, "end_at_step") >= steps, ">= steps");
            check(graph, sampler, "return_with_leftover_noise",
                    text(graph, sampler, "return_with_leftover_noise").equals("disable"), "disable");
        } else {
            check(graph, sampler, "denoise", number(graph, sampler, "denoise") == 1.0, "1.0 (img2img is not served yet)");
        }
        if (seed < 0 || steps < 1 || steps > Integer.MAX_VALUE || batch < 1 || batch > Integer.MAX_VALUE) {
            String input = seed < 0 ? (advanced ? "noise_seed" : "seed") : steps < 1 || steps > Integer.MAX_VALUE ? "steps" : "batch_size";
            throw new NodeError(input.equals("batch_size") ? latent : sampler, input.equals("batch_size") ? "EmptyLatentImage"
                    : samplerType, "value_smaller_than_min", "Value out of range: " + input, input);
        }
        return new GenerateSpec(model, text(graph, positive, "text"), text(graph, negative, "text"),
                text(graph, sampler, "sampler_name"), Map.of(), text(graph, sampler, "scheduler"), Map.of(), (int) steps,
                number(graph, sampler, "cfg"), seed, (int) batch, 1, 1, "nearest");
    }

    private static void check(JsonNode graph, String node, String input, boolean ok, String allowed) {
        if (!ok) {
            throw new NodeError(node, graph.path(node).path("class_type").asText(), "value_not_valid", input + " "
                    + graph.path(node).path("inputs").get(input) + " is not supported here; allowed: " + allowed, input);
        }
    }

    /**
     * {@code /view?filename=&subfolder=&type=output}: an image of the outputs folder; never a file outside it (no "..",
     * no absolute path, no link that leads out).
     */
    private static void view(StepwiseServer s, Context ctx) throws IOException {
        String filename = ctx.queryParam("filename"), subfolder = ctx.queryParam("subfolder"), type = ctx.queryParam("type");
        if (filename == null || filename.isBlank()) {
            throw ApiException.bad("filename", "filename is missing");
        }
        if (type != null && !type.isEmpty() && !type.equals("output")) {
            throw ApiException.bad("type", "type '" + type + "' is not served here; allowed: output");
        }
        String sub = subfolder == null ? "" : subfolder;
        StepwiseServer.checkRelative(sub, "subfolder", "the outputs folder");
        Path real = StepwiseServer.inside(s.outputs, sub.isEmpty() ? filename : sub + "/" + filename, "filename",
                "the outputs folder");
        ctx.contentType(filename.toLowerCase(java.util.Locale.ROOT).endsWith(".png") ? "image/png" : "application/octet-stream")
                .result(Files.readAllBytes(real));
    }

    /** {@code /object_info}: the served nodes' inputs and outputs, in ComfyUI's shape. */
    private static ObjectNode objectInfo(StepwiseServer s) {
        ObjectNode out = s.json.createObjectNode();
        for (Map.Entry<String, String[]> e : NODES.entrySet()) {
            ObjectNode n = out.putObject(e.getKey());
            ObjectNode input = n.putObject("input");
            ObjectNode required = input.putObject("required");
            input.putObject("optional");
            ArrayNode order = n.putObject("input_order").putArray("required");
            for (int i = 1; i < e.getValue().length; i++) {
                String[] nt = e.getValue()[i].split(":");
                order.add(nt[0]);
                ArrayNode spec = required.putArray(nt[0]);
                switch (nt[1]) {
                    case "SAMPLER" -> spec.add(s.json.valueToTree(dev.stepwise.core.samplers.Samplers.names()));
                    case "SCHEDULER" -> spec.add(s.json.valueToTree(dev.stepwise.core.schedule.Schedulers.names()));
                    case "COMBO" -> spec.add(s.json.valueToTree(switch (nt[0]) {
                        case "ckpt_name" -> ModelFolders.names(s.config.models());
                        case "add_noise" -> List.of("enable", "disable");
                        default -> List.of("disable", "enable");
                    }));
                    default -> spec.add(nt[1]);
                }
            }
            String outputs = e.getValue()[0];
            List<String> types = outputs.isEmpty() ? List.of() : List.of(outputs.split(","));
            n.set("output", s.json.valueToTree(types));
            ArrayNode isList = n.putArray("output_is_list");
            types.forEach(t -> isList.add(false));
            n.set("output_name", s.json.valueToTree(types));
            n.put("name", e.getKey()).put("display_name", e.getKey()).put("description", "")
                    .put("python_module", "nodes").put("category", "stepwise").put("output_node", e.getKey().equals("SaveImage"));
        }
        return out;
    }
}
