package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CellStoreTest {
    @TempDir
    Path tmp;

    private static CellResult result(String id, Map<String, Double> metrics, double[][] features) {
        Plan.SamplerSpec s = new Plan.SamplerSpec("euler_ancestral", Map.of("eta", 0.5, "s_noise", 1), "ea eta=0.5");
        Cell cell = new Cell(new Cell.Config(s, Plan.SchedulerSpec.of("karras"), 20, true, 3.5), 19, 2, 1234567890123L);
        return new CellResult(id, cell, 19, 19, 19, 0.125, 0.0625, 0.25, metrics, features, CellStore.imagePath(id),
                CellStore.samplesPath(id), "");
    }

    @Test
    void resultRoundTripsWithNonFiniteNumbers() throws IOException {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put(CellResult.Metrics.NLL, Double.NaN);
        metrics.put(CellResult.Metrics.SLICED_W1, Double.POSITIVE_INFINITY);
        metrics.put(CellResult.Metrics.REFERENCE_DISTANCE, 0.1 + 0.2);
        double[][] features = {{1.5, Double.NEGATIVE_INFINITY, -0.0}, {Math.PI, 1e-300, Double.NaN}};
        CellResult r = result("a-1", metrics, features);
        CellStore store = CellStore.open(tmp);
        store.write(r, Tensor.wrap(new float[] {1, 2, 3, 4}, 2, 2), new byte[] {1, 2});

        CellResult back = store.read("a-1").orElseThrow();
        assertEquals(r.cell(), back.cell());
        assertEquals(Map.of("eta", 0.5, "s_noise", 1), back.cell().config().sampler().parameters());
        assertEquals(r.metrics(), back.metrics());
        assertArrayEquals(features, back.features());
        assertEquals(List.of(r.id(), r.nfe(), r.networkCalls(), r.stepsRun(), r.seconds(), r.networkSeconds(),
                        r.cellSeconds(), r.image(), r.samples(), r.error()),
                List.of(back.id(), back.nfe(), back.networkCalls(), back.stepsRun(), back.seconds(), back.networkSeconds(),
                        back.cellSeconds(), back.image(), back.samples(), back.error()));
        assertArrayEquals(new float[] {1, 2, 3, 4}, store.readSamples(back).data());
        assertArrayEquals(new byte[] {1, 2}, Files.readAllBytes(tmp.resolve("images/a-1.png")));
        String text = Files.readString(store.cellFile("a-1"));
        assertTrue(text.contains("\"NaN\"") && text.contains("\"Infinity\"") && text.contains("\"-Infinity\""), text);
    }

    @Test
    void cellIsDoneOnlyWithAReadableJsonAndItsSamples() throws IOException {
        CellStore store = CellStore.open(tmp);
        assertTrue(store.read("nothing").isEmpty());

        CellResult r = result("b-2", Map.of(), null);
        store.write(r, Tensor.wrap(new float[] {1, 2}, 1, 2), null);
        assertNull(store.read("b-2").orElseThrow().features());

        String json = Files.readString(store.cellFile("b-2"));
        Files.writeString(store.cellFile("b-2"), json.substring(0, json.length() / 2), StandardCharsets.UTF_8);
        assertTrue(store.read("b-2").isEmpty(), "a truncated JSON is a cell to redo");
        Files.writeString(store.cellFile("b-2"), json.replace("\"nfe\" : 19", "\"nfe\" : \"many\""));
        assertTrue(store.read("b-2").isEmpty(), "a mistyped field is a cell to redo");
        Files.writeString(store.cellFile("b-2"), json);
        assertTrue(store.read("b-2").isPresent());
        Files.delete(tmp.resolve(r.samples()));
        assertTrue(store.read("b-2").isEmpty(), "a cell whose samples are gone is redone");
    }

    @Test
    void planJsonRecordsThePlan() throws IOException {
        Plan plan = TestPlans.plan(TestPlans.samplers("euler", "heun"), List.of("karras"), List.of(10, 20), List.of(3.0),
                List.of(new Plan.PromptSpec("sneaker", "sandal")), List.of(1L, 2L), 1, Plan.ReferenceSpec.DEFAULT, 0);
        CellStore.open(tmp).writePlan(plan, "m@0123");
        var node = CellStore.parse(Files.readAllBytes(tmp.resolve(CellStore.PLAN_FILE)));
        assertEquals("heun", node.get("samplers").get(1).get("name").asText());
        assertEquals("sandal", node.get("prompts").get(0).get("negative").asText());
        assertEquals(100, node.get("reference").get("steps").asInt());
        assertEquals(2, node.get("seeds").get(1).asLong());
        assertEquals("m@0123", node.get("model_key").asText(), "the model's key says whose cells these are");
    }
}
