package dev.stepwise.harness;

import static dev.stepwise.harness.PlanReaderTest.MODELS;
import static dev.stepwise.harness.PlanReaderTest.assertOneLine;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stepwise.onnx.OnnxOptions;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What PlanCheck finds in plans made in code (as the CLI makes them), and how ModelSources opens models. */
class PlanCheckTest {
    static final Path RING = Path.of("..", "examples", "gmm-ring.json").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    /** A good plan on the built-in mixture; the tests change one field. */
    private static Plan mixture(List<Plan.PromptSpec> prompts, List<Integer> steps, List<Integer> nfe, List<Double> cfg,
                                Plan.ReferenceSpec reference, int batch) {
        return new Plan("t", "gmm:builtin", List.of(Plan.SamplerSpec.of("heun"), Plan.SamplerSpec.of("dpmpp_2m")),
                List.of(Plan.SchedulerSpec.of("karras")), steps, nfe, cfg, prompts, List.of(1L, 2L), batch, reference, 4, 0,
                null, "command line");
    }

    private static Plan image(String model, List<Plan.PromptSpec> prompts, int batch) {
        return new Plan("t", model, List.of(Plan.SamplerSpec.of("euler")), List.of(Plan.SchedulerSpec.of("karras")),
                List.of(5), List.of(), List.of(3.0), prompts, List.of(1L), batch, Plan.ReferenceSpec.DEFAULT, 4, 0, null,
                "command line");
    }

    private static final List<Plan.PromptSpec> LABELS = List.of(Plan.PromptSpec.of(""), Plan.PromptSpec.of("3"),
            new Plan.PromptSpec("7", "0"));

    @Test
    void aGoodPlanGivesItsCells() {
        Plan plan = mixture(LABELS, List.of(), List.of(10, 20), List.of(1.0, 2.0), Plan.ReferenceSpec.DEFAULT, 4096);
        List<Cell> cells = PlanCheck.check(plan, MODELS);
        assertEquals(2 * 1 * 2 * 2 * 3 * 2, cells.size());
        assertEquals(Cells.expand(plan, ModelSources.sampling(plan, MODELS)), cells);
        assertEquals(5, cells.get(0).steps(), "heun at NFE 10 walks 5 steps (2n - 1 = 9 calls)");
    }

    @Test
    void mixtureLabelsAreCheckedAgainstTheMixture() {
        Plan plan = mixture(List.of(Plan.PromptSpec.of("2"), Plan.PromptSpec.of("8")), List.of(5), List.of(), List.of(1.0),
                null, 16);
        assertOneLine("command line: prompts[1]: label 8 is not a label of gmm-ring; allowed: a label 0..7",
                assertThrows(PlanException.class, () -> PlanCheck.check(plan, MODELS)).getMessage());
        Plan word = mixture(List.of(new Plan.PromptSpec("2", "ring")), List.of(5), List.of(), List.of(1.0), null, 16);
        assertOneLine("command line: prompts[0].negative: prompt 'ring' is not a label of gmm-ring",
                assertThrows(PlanException.class, () -> PlanCheck.check(word, MODELS)).getMessage());
    }

    @Test
    void theStepAxisIsStepsOrNfe() {
        assertOneLine("command line: no steps; give steps (step counts) or nfe (model-call budgets)",
                assertThrows(PlanException.class, () -> PlanCheck.check(
                        mixture(LABELS, List.of(), List.of(), List.of(1.0), null, 16), MODELS)).getMessage());
        assertOneLine("command line: give steps or nfe, not both", assertThrows(PlanException.class,
                () -> PlanCheck.check(mixture(LABELS, List.of(5), List.of(10), List.of(1.0), null, 16), MODELS)).getMessage());
        assertOneLine("command line: nfe[1] = 100001 is out of range; allowed: 1..100000", assertThrows(PlanException.class,
                () -> PlanCheck.check(mixture(LABELS, List.of(), List.of(10, 100_001), List.of(1.0), null, 16), MODELS))
                .getMessage());
        assertOneLine("command line: steps[0] = 10001 is out of range; allowed: 1..10000", assertThrows(PlanException.class,
                () -> PlanCheck.check(mixture(LABELS, List.of(10_001), List.of(), List.of(1.0), null, 16), MODELS)).getMessage());
    }

    @Test
    void cfgIsAFiniteScaleOfZeroOrMore() {
        assertOneLine("command line: cfg[0] = NaN is out of range", assertThrows(PlanException.class,
                () -> PlanCheck.check(mixture(LABELS, List.of(5), List.of(), List.of(Double.NaN), null, 16), MODELS)).getMessage());
        assertOneLine("command line: cfg[1] = Infinity is out of range", assertThrows(PlanException.class, () -> PlanCheck.check(
                mixture(LABELS, List.of(5), List.of(), List.of(0.0, Double.POSITIVE_INFINITY), null, 16), MODELS)).getMessage());
        assertEquals(2 * 1 * 1 * 1 * 3 * 2, PlanCheck.check(mixture(LABELS, List.of(5), List.of(), List.of(0.0), null, 16), MODELS).size(),
                "cfg 0 (unconditional only) is allowed");
    }

    @Test
    void theReferenceMustBeDeterministic() {
        assertOneLine("command line: reference sampler 'euler_cfg_pp' is a CFG++ sampler", assertThrows(PlanException.class,
                () -> PlanCheck.check(mixture(LABELS, List.of(5), List.of(), List.of(1.0),
                        new Plan.ReferenceSpec("euler_cfg_pp", "karras", 100), 16), MODELS)).getMessage());
        assertOneLine("command line: reference: unknown sampler 'hune'", assertThrows(PlanException.class,
                () -> PlanCheck.check(mixture(LABELS, List.of(5), List.of(), List.of(1.0),
                        new Plan.ReferenceSpec("hune", "karras", 100), 16), MODELS)).getMessage());
        PlanCheck.check(mixture(LABELS, List.of(5), List.of(), List.of(1.0), new Plan.ReferenceSpec("dpmpp_2m", "exponential", 200),
                16), MODELS);
    }

    @Test
    void promptsAreCheckedAgainstTheImageModelsVocabulary() {
        List<Plan.PromptSpec> prompts = List.of(Plan.PromptSpec.of("(bag:1.2)"), new Plan.PromptSpec("tee, [trousers]", "jeans"),
                new Plan.PromptSpec("", "sneaker"));
        assertEquals(3, PlanCheck.check(image("fashion-eps", prompts, 1), MODELS).size());
        assertOneLine("command line: prompts[0]: unknown class 'hat' in prompt 'hat, coat'", assertThrows(PlanException.class,
                () -> PlanCheck.check(image("fashion-eps", List.of(Plan.PromptSpec.of("hat, coat")), 1), MODELS)).getMessage());
        assertOneLine("command line: prompts[0]: class 'coat' has weight -1.0", assertThrows(PlanException.class,
                () -> PlanCheck.check(image("fashion-eps", List.of(Plan.PromptSpec.of("(coat:-1)")), 1), MODELS)).getMessage());
        assertEquals(1, PlanCheck.check(image("fashion-eps", List.of(Plan.PromptSpec.of("")), 1024), MODELS).size());
        assertOneLine("command line: batch = 1025 is too large for an image model; allowed: 1..1024", assertThrows(PlanException.class,
                () -> PlanCheck.check(image("fashion-eps", List.of(Plan.PromptSpec.of("")), 1025), MODELS)).getMessage());
    }

    /**
     * Checking reads model.json only: a folder without its ONNX file passes, and its own vocabulary (the tiny
     * fixture's synonyms, not the built-in model's) decides the prompts.
     */
    @Test
    void checkingOpensNoOnnxSession() throws IOException, URISyntaxException {
        Path folder = Files.createDirectories(dir.resolve("no-onnx"));
        Files.copy(fixture("tiny-eps").resolve("model.json"), folder.resolve("model.json"));
        assertFalse(Files.exists(folder.resolve("model.onnx")));
        Path emptyHome = Files.createDirectories(dir.resolve("home"));
        assertEquals(1, PlanCheck.check(image(folder.toString(), List.of(Plan.PromptSpec.of("handbag, boots")), 1), emptyHome).size());
        assertOneLine("command line: prompts[0]: unknown class 'jeans'", assertThrows(PlanException.class,
                () -> PlanCheck.check(image(folder.toString(), List.of(Plan.PromptSpec.of("jeans")), 1), emptyHome)).getMessage());
    }

    @Test
    void modelsThatAreNotThere() {
        assertOneLine("command line: model './nothing': no such folder", assertThrows(PlanException.class,
                () -> PlanCheck.check(image("./nothing", List.of(Plan.PromptSpec.of("")), 1), MODELS)).getMessage());
        assertOneLine("command line: model '" + dir + "': the folder has no model.json", assertThrows(PlanException.class,
                () -> PlanCheck.check(image(dir.toString(), List.of(Plan.PromptSpec.of("")), 1), MODELS)).getMessage());
        assertOneLine("command line: model 'fashion-eps' is not a model; no models found in " + dir, assertThrows(PlanException.class,
                () -> PlanCheck.check(image("fashion-eps", List.of(Plan.PromptSpec.of("")), 1), dir)).getMessage());
    }

    @Test
    void aBrokenModelJsonIsOneLine() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("broken"));
        Files.writeString(folder.resolve("model.json"), "{\"name\": \"b\", \"prediction\": \"eps\"}");
        String m = assertThrows(PlanException.class,
                () -> PlanCheck.check(image(folder.toString(), List.of(Plan.PromptSpec.of("")), 1), MODELS)).getMessage();
        assertOneLine("command line: model '" + folder + "': ", m);
        assertOneLine("missing field 'schedule'", m);
    }

    @Test
    void mixtureKeysDigestTheSpecBytes() throws IOException, NoSuchAlgorithmException {
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(RING)));
        MixtureSource builtIn = ModelSources.mixture("gmm:builtin", "here");
        assertEquals("gmm-ring", builtIn.name());
        assertEquals("gmm-ring@" + digest.substring(0, 16), builtIn.key());
        MixtureSource file = ModelSources.mixture("gmm:" + RING, "here");
        assertEquals(builtIn.key(), file.key(), "the built-in mixture is the committed example, byte for byte");
        assertEquals(8, file.mixture().labelCount());

        Path edited = Files.writeString(dir.resolve("ring2.json"), Files.readString(RING) + "\n");
        MixtureSource other = ModelSources.mixture("gmm:" + edited, "here");
        assertEquals("ring2", other.name());
        assertNotEquals(file.key().substring(file.key().indexOf('@')), other.key().substring(other.key().indexOf('@')));

        Plan plan = mixture(LABELS, List.of(5), List.of(), List.of(1.0), null, 16);
        try (ModelSource opened = ModelSources.open(plan, MODELS, OnnxOptions.defaults())) {
            MixtureSource m = assertInstanceOf(MixtureSource.class, opened);
            assertEquals(builtIn.key(), m.key());
            assertArrayEquals(new int[] {2}, m.sampleShape());
        }
        assertOneLine("here: model spec '" + dir.resolve("none.json") + "' does not exist",
                assertThrows(PlanException.class, () -> ModelSources.mixture("gmm:" + dir.resolve("none.json"), "here")).getMessage());
    }

    @Test
    void anImageModelOpensWithTheClassifierOfTheModelsFolder() throws URISyntaxException, IOException {
        Plan plan = image(fixture("tiny-eps").toString(), List.of(Plan.PromptSpec.of("bag")), 1);
        try (ModelSource opened = ModelSources.open(plan, MODELS, OnnxOptions.defaults())) {
            ImageSource s = assertInstanceOf(ImageSource.class, opened);
            assertEquals("tiny-eps", s.name());
            assertArrayEquals(new int[] {1, 28, 28}, s.sampleShape());
            assertNotNull(s.classifier(), "models/classifier is used");
            assertNotNull(s.referenceStats());
        }
        Path emptyHome = Files.createDirectories(dir.resolve("home"));
        try (ModelSource opened = ModelSources.open(plan, emptyHome, OnnxOptions.defaults())) {
            assertNull(((ImageSource) opened).classifier(), "no classifier folder, no classifier");
        }
    }

    static Path fixture(String name) throws URISyntaxException {
        return Path.of(PlanCheckTest.class.getResource("/fixtures/" + name + "/model.json").toURI()).getParent();
    }
}
