package dev.stepwise.harness;

import static dev.stepwise.harness.PlanReaderTest.MODELS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.stepwise.core.samplers.Samplers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed example plans in examples/compare read and check, and make the cells they promise. */
class ExamplePlansTest {
    static final Path COMPARE = Path.of("..", "examples", "compare").toAbsolutePath().normalize();

    private static boolean isChecklist(Path p) {
        return p.getFileName().toString().endsWith("-checklist.yaml");
    }

    @Test
    void everyPlanInExamplesCompareReadsAndChecks() throws IOException {
        List<Path> plans;
        try (Stream<Path> s = Files.list(COMPARE)) {
            plans = s.filter(p -> !isChecklist(p)).sorted().toList();
        }
        assertEquals(List.of("community-sd.yaml", "community.yaml", "fashion-convergence.yaml", "gmm-ring.yaml",
                        "quick.yaml"),
                plans.stream().map(p -> p.getFileName().toString()).toList(), "the examples (update this list with them)");
        for (Path p : plans) {
            if (p.getFileName().toString().equals("community-sd.yaml")) {
                continue;   // a checkpoint the user supplies: theCommunityExperimentOnAStableDiffusionCheckpoint
            }
            Plan plan = PlanReader.read(p);
            assertFalse(PlanCheck.check(plan, MODELS).isEmpty(), p.toString());
        }
    }

    @Test
    void theCommunityExperiment() {
        Plan plan = PlanReader.read(COMPARE.resolve("community.yaml"));
        assertEquals("fashion-eps", plan.model());
        assertEquals(Samplers.names(), plan.samplers().stream().map(Plan.SamplerSpec::name).toList(), "the whole catalogue");
        assertEquals(List.of(Plan.SchedulerSpec.of("simple")), plan.schedulers());
        assertEquals(List.of(10, 20), plan.steps());
        assertEquals(List.of(3.0), plan.cfg());
        assertEquals(4, plan.prompts().size());
        plan.prompts().forEach(p -> assertFalse(p.negative().isEmpty(), p + " has a negative prompt"));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), plan.seeds());
        assertEquals(1, plan.batch());
        assertEquals(4, plan.dropSlowest());
        assertEquals(COMPARE.resolve("community-checklist.yaml"), plan.checklist());
        List<Cell> cells = PlanCheck.check(plan, MODELS);
        assertEquals(Samplers.names().size() * 2 * 4 * 8, cells.size(), "4 prompts x 8 seeds per sampler and step count");
    }

    /**
     * The SD version: the same axes at 512x512 and 20 steps, checked against a models folder where "sd15" is the
     * tiny SD1 export (a real checkpoint reads the same way).
     */
    @Test
    void theCommunityExperimentOnAStableDiffusionCheckpoint(@TempDir Path home) throws Exception {
        Files.createSymbolicLink(home.resolve("sd15"), SdComparisonTest.sd1());
        Plan plan = PlanReader.read(COMPARE.resolve("community-sd.yaml"));
        assertEquals("sd15", plan.model());
        assertEquals(512, plan.width());
        assertEquals(512, plan.height());
        assertEquals(Samplers.names(), plan.samplers().stream().map(Plan.SamplerSpec::name).toList(), "the whole catalogue");
        assertEquals(List.of(Plan.SchedulerSpec.of("simple")), plan.schedulers());
        assertEquals(List.of(20), plan.steps());
        assertEquals(List.of(3.0), plan.cfg());
        assertEquals(4, plan.prompts().size());
        plan.prompts().forEach(p -> assertFalse(p.negative().isEmpty(), p + " has a negative prompt"));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), plan.seeds());
        assertEquals(Plan.ReferenceSpec.DEFAULT, plan.reference());
        assertEquals(COMPARE.resolve("community-sd-checklist.yaml"), plan.checklist());
        assertEquals(Samplers.names().size() * 4 * 8, PlanCheck.check(plan, home).size(), "4 prompts x 8 seeds per sampler");
        checklistMatches("community-sd.yaml");
    }

    /** The checklist names each plan prompt once, by its exact text, with 3-5 yes/no criteria. */
    @Test
    void theCommunityChecklistMatchesItsPlan() throws IOException {
        checklistMatches("community.yaml");
    }

    private static void checklistMatches(String planFile) throws IOException {
        Plan plan = PlanReader.read(COMPARE.resolve(planFile));
        JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(plan.checklist().toFile());
        List<String> named = new ArrayList<>();
        Set<Integer> counts = new HashSet<>();
        for (JsonNode entry : root.get("prompts")) {
            named.add(entry.get("prompt").asText());
            JsonNode criteria = entry.get("criteria");
            assertTrue(criteria.size() >= 3 && criteria.size() <= 5, entry.toString());
            Set<String> distinct = new HashSet<>();
            criteria.forEach(c -> {
                assertTrue(c.isTextual() && !c.asText().isBlank(), entry.toString());
                distinct.add(c.asText());
            });
            assertEquals(criteria.size(), distinct.size(), "no criterion twice: " + entry);
            counts.add(criteria.size());
        }
        assertEquals(plan.prompts().stream().map(Plan.PromptSpec::prompt).toList(), named);
        assertTrue(counts.size() > 1, "prompts have different numbers of criteria, as in the experiment");
    }

    @Test
    void theQuickDemo() {
        Plan plan = PlanReader.read(COMPARE.resolve("quick.yaml"));
        assertEquals(6 * 1 * 3 * 1 * 2 * 4, PlanCheck.check(plan, MODELS).size());
    }

    /** Equal-NFE comparison on the ring: heun walks (budget + 1) / 2 steps (2n - 1 calls), the others one per call. */
    @Test
    void theAnalyticRing() {
        Plan plan = PlanReader.read(COMPARE.resolve("gmm-ring.yaml"));
        assertEquals("gmm:" + PlanCheckTest.RING, plan.model());
        assertEquals(ModelSources.mixture("gmm:builtin", "").key(), ModelSources.mixture(plan.model(), "").key());
        assertEquals(4096, plan.batch());
        List<Cell> cells = PlanCheck.check(plan, MODELS);
        assertEquals(6 * 1 * 3 * 1 * 2 * 2, cells.size());
        for (Cell c : cells) {
            int budget = c.config().stepAxis();
            int expected = c.config().sampler().name().equals("heun") ? (budget + 1) / 2 : budget;
            assertEquals(expected, c.steps(), c.config().label());
        }
    }
}
