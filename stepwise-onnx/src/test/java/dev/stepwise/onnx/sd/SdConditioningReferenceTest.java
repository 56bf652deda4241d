package dev.stepwise.onnx.sd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stepwise.core.CompatProfile;
import dev.stepwise.core.io.Npy;
import dev.stepwise.core.tensor.Tensor;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Prompt conditioning (weights, clip skip) of the tiny folders against tools/sd/reference.py's torch computation
 * (conditioning.json): the tokens and weights there are written out by hand from each UI's syntax, the encoders
 * run in torch, the weighting follows the UI's source.
 */
class SdConditioningReferenceTest {
    static List<JsonNode> cases() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        new ObjectMapper().readTree(SdReferenceTest.dir().resolve("conditioning.json").toFile()).forEach(out::add);
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void conditioningMatchesTheTorchReference(JsonNode c) throws IOException {
        String stem = c.get("stem").asText();
        Tensor context = Npy.read(SdReferenceTest.dir().resolve(stem + "-context.npy"));
        float[] pooled = c.get("pooled").asBoolean()
                ? Npy.read(SdReferenceTest.dir().resolve(stem + "-pooled.npy")).data() : new float[0];
        CompatProfile compat = CompatProfile.parse(c.get("profile").asText());
        TextSettings settings = TextSettings.of(compat, c.path("clip_skip").asInt(0));
        try (SdModel sd = SdModelTest.load(c.get("family").asText())) {
            SdConditioning got = sd.promptEncoder().encode(c.get("prompt").asText(), settings);
            assertEquals(context.shape()[0], got.tokens());
            assertEquals(context.shape()[1], got.width());
            double tolerance = c.get("tolerance").asDouble();
            SdReferenceTest.assertClose(stem + " context", context.data(), got.context(), tolerance);
            assertEquals(pooled.length, got.pooled().length);
            SdReferenceTest.assertClose(stem + " pooled", pooled, got.pooled(), tolerance);
            // the weights matter: the plain prompt's conditioning is another
            assertTrue(!java.util.Arrays.equals(got.context(),
                    sd.promptEncoder().encode(c.get("prompt").asText().replaceAll("[()\\[\\]:0-9.]", "")).context()));
        }
    }
}
