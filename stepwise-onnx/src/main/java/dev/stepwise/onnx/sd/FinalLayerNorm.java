package dev.stepwise.onnx.sd;

import java.util.List;
import java.util.Set;

/**
 * A CLIP text encoder's final layer norm, read from its ONNX graph: the export applies it only on the way to
 * {@code last_hidden_state}, yet SD1's and SD2's UIs apply it to an intermediate layer as well when a clip skip picks
 * one (ComfyUI's {@code layer_norm_hidden_state}, comfy/clip_model.py; A1111's {@code final_layer_norm} in
 * sd_hijack_clip.py encode_with_transformers). Found by the graph's structure: the node that produces
 * {@code last_hidden_state} is a LayerNormalization (opset 17+), or the decomposed form that torch.onnx writes
 * before it, {@code Add(Mul(Div(x - mean, Sqrt(var + eps)), scale), bias)}.
 *
 * @param scale   the per-channel scale (gamma)
 * @param bias    the per-channel shift (beta)
 * @param epsilon added to the variance
 */
record FinalLayerNorm(float[] scale, float[] bias, double epsilon) {
    /** Nodes that pass a value on unchanged in value (an fp16 export's casts, identities). */
    private static final Set<String> PASS = Set.of("Identity", "Cast");

    /** The layer norm that produces {@code output} in {@code graph}; one line naming the file when there is none. */
    static FinalLayerNorm find(OnnxGraph graph, String output, int width) {
        OnnxGraph.Node n = through(graph, graph.producer(output));
        FinalLayerNorm norm = n == null ? null : switch (n.op()) {
            case "LayerNormalization" -> new FinalLayerNorm(graph.floats(n.inputs().get(1)),
                    n.inputs().size() > 2 ? graph.floats(n.inputs().get(2)) : new float[width],
                    n.floats().getOrDefault("epsilon", 1e-5f));
            case "Add" -> decomposed(graph, n);
            default -> null;
        };
        if (norm == null || norm.scale == null || norm.bias == null || norm.scale.length != width
                || norm.bias.length != width) {
            throw new IllegalArgumentException(graph.file() + ": cannot find the final layer norm that produces '"
                    + output + "' (expected a LayerNormalization, or Add(Mul(normalised, scale), bias), with " + width
                    + " weights each); clip skip on this family applies it to an intermediate layer");
        }
        return norm;
    }

    private static OnnxGraph.Node through(OnnxGraph g, OnnxGraph.Node n) {
        while (n != null && PASS.contains(n.op()) && !n.inputs().isEmpty()) {
            n = g.producer(n.inputs().get(0));
        }
        return n;
    }

    /** Add(Mul(Div(x - mean, Sqrt(var + eps)), scale), bias), either operand order. */
    private static FinalLayerNorm decomposed(OnnxGraph g, OnnxGraph.Node add) {
        String[] biasAndRest = split(g, add.inputs());
        if (biasAndRest == null) {
            return null;
        }
        OnnxGraph.Node mul = through(g, g.producer(biasAndRest[1]));
        if (mul == null || !mul.op().equals("Mul")) {
            return null;
        }
        String[] scaleAndRest = split(g, mul.inputs());
        if (scaleAndRest == null) {
            return null;
        }
        return new FinalLayerNorm(g.floats(scaleAndRest[0]), g.floats(biasAndRest[0]), epsilon(g, scaleAndRest[1]));
    }

    /** The epsilon of Div(x - mean, Sqrt(Add(var, eps))); CLIP's 1e-5 (CLIPTextConfig.layer_norm_eps) if not so. */
    private static double epsilon(OnnxGraph g, String normalised) {
        OnnxGraph.Node div = through(g, g.producer(normalised));
        if (div != null && div.op().equals("Div") && div.inputs().size() == 2) {
            OnnxGraph.Node sqrt = through(g, g.producer(div.inputs().get(1)));
            if (sqrt != null && sqrt.op().equals("Sqrt")) {
                OnnxGraph.Node plus = through(g, g.producer(sqrt.inputs().get(0)));
                if (plus != null && plus.op().equals("Add")) {
                    String[] epsAndRest = split(g, plus.inputs());
                    float[] eps = epsAndRest == null ? null : g.floats(epsAndRest[0]);
                    if (eps != null && eps.length == 1) {
                        return eps[0];
                    }
                }
            }
        }
        return 1e-5;
    }

    /** {constant input, other input} of a two-input node, or null when not exactly one is constant. */
    private static String[] split(OnnxGraph g, List<String> inputs) {
        if (inputs.size() != 2) {
            return null;
        }
        boolean a = g.isConstant(inputs.get(0)), b = g.isConstant(inputs.get(1));
        if (a == b) {
            return null;
        }
        return a ? new String[] {inputs.get(0), inputs.get(1)} : new String[] {inputs.get(1), inputs.get(0)};
    }

    /** The norm applied to each token's {@code width} values of {@code hidden} (a new array). */
    float[] apply(float[] hidden) {
        int width = scale.length;
        float[] out = new float[hidden.length];
        for (int at = 0; at < hidden.length; at += width) {
            double mean = 0;
            for (int c = 0; c < width; c++) {
                mean += hidden[at + c];
            }
            mean /= width;
            double var = 0;
            for (int c = 0; c < width; c++) {
                double d = hidden[at + c] - mean;
                var += d * d;
            }
            double inv = 1 / Math.sqrt(var / width + epsilon);
            for (int c = 0; c < width; c++) {
                out[at + c] = (float) ((hidden[at + c] - mean) * inv * scale[c] + bias[c]);
            }
        }
        return out;
    }
}
