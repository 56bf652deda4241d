package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.schedule.Schedulers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Reading plan files: JSON and YAML alike, the defaults, and one clear line for every kind of mistake. */
class PlanReaderTest {
    /** The repository's models folder (surefire runs in the module folder). */
    static final Path MODELS = Path.of("..", "models").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    static final String JSON = """
            {"name": "both", "model": "fashion-eps",
             "samplers": ["euler", {"name": "euler_ancestral", "params": {"eta": 0.5}},
                          {"name": "dpmpp_2m_sde", "params": {"solver_type": "heun"}, "label": "2m sde heun"}],
             "schedulers": ["karras", {"name": "simple"}],
             "steps": [10, 20], "cfg": [1, 3.5],
             "prompts": ["sneaker", {"prompt": "dress", "negative": "coat"}],
             "seeds": ["1-4", 9, "6"], "batch": 2,
             "reference": {"sampler": "dpmpp_2m", "steps": 50},
             "drop_slowest": 2, "parallel": 3, "checklist": "list.yaml"}
            """;

    static final String YAML = """
            name: both
            model: fashion-eps
            samplers:
              - euler
              - name: euler_ancestral
                params: {eta: 0.5}
              - {name: dpmpp_2m_sde, params: {solver_type: heun}, label: 2m sde heun}
            schedulers: [karras, {name: simple}]
            steps: [10, 20]
            cfg: [1, 3.5]
            prompts:
              - sneaker
              - prompt: dress
                negative: coat
            seeds: [1-4, 9, "6"]
            batch: 2
            reference: {sampler: dpmpp_2m, steps: 50}
            drop_slowest: 2
            parallel: 3
            checklist: list.yaml
            """;

    @Test
    void jsonAndYamlOfTheSamePlanGiveEqualPlans() {
        Plan json = PlanReader.parse(bytes(JSON), false, "plan", dir);
        Plan yaml = PlanReader.parse(bytes(YAML), true, "plan", dir);
        assertEquals(json, yaml);

        assertEquals("both", json.name());
        assertEquals("fashion-eps", json.model(), "a model name stays a name");
        assertEquals(List.of(Plan.SamplerSpec.of("euler"),
                new Plan.SamplerSpec("euler_ancestral", Map.of("eta", 0.5), "euler_ancestral eta=0.5"),
                new Plan.SamplerSpec("dpmpp_2m_sde", Map.of("solver_type", "heun"), "2m sde heun")), json.samplers());
        assertEquals(List.of(Plan.SchedulerSpec.of("karras"), Plan.SchedulerSpec.of("simple")), json.schedulers());
        assertEquals(List.of(10, 20), json.steps());
        assertEquals(List.of(), json.nfe());
        assertEquals(List.of(1.0, 3.5), json.cfg());
        assertEquals(List.of(Plan.PromptSpec.of("sneaker"), new Plan.PromptSpec("dress", "coat")), json.prompts());
        assertEquals(List.of(1L, 2L, 3L, 4L, 9L, 6L), json.seeds(), "ranges expand in place, in the order written");
        assertEquals(2, json.batch());
        assertEquals(new Plan.ReferenceSpec("dpmpp_2m", "karras", 50), json.reference(), "missing reference keys default");
        assertEquals(2, json.dropSlowest());
        assertEquals(3, json.parallel());
        assertEquals(dir.resolve("list.yaml").toAbsolutePath().normalize(), json.checklist());
        assertEquals("plan", json.source());
    }

    @Test
    void defaults() throws IOException {
        Path file = write("minimal.yml", "model: fashion-eps\nsamplers: euler\nschedulers: karras\nsteps: 20\nseeds: 7\n");
        Plan p = PlanReader.read(file);
        assertEquals("minimal", p.name(), "the name defaults to the file's stem");
        assertEquals(List.of(Plan.SamplerSpec.of("euler")), p.samplers());
        assertEquals(List.of(20), p.steps());
        assertEquals(List.of(3.0), p.cfg(), "an image model's plan without cfg: 3, as compare's flags and generate");
        assertEquals(List.of(new Plan.PromptSpec("", "")), p.prompts(), "one unconditional prompt");
        assertEquals(List.of(7L), p.seeds());
        assertEquals(1, p.batch());
        assertEquals(new Plan.ReferenceSpec("heun", "karras", 100), p.reference());
        assertEquals(4, p.dropSlowest());
        assertEquals(0, p.parallel());
        assertNull(p.checklist());
        assertEquals(file.toString(), p.source());
    }

    @Test
    void allIsTheWholeCatalogueInRegistryOrder() {
        Plan p = PlanReader.parse(bytes("{\"model\": \"fashion-eps\", \"samplers\": \"all\", \"schedulers\": \"all\","
                + " \"nfe\": [10], \"seeds\": [1], \"reference\": false}"), false, "all.json", dir);
        assertEquals(Samplers.names(), p.samplers().stream().map(Plan.SamplerSpec::name).toList());
        assertEquals(Samplers.names(), p.samplers().stream().map(Plan.SamplerSpec::label).toList());
        assertEquals(Schedulers.names(), p.schedulers().stream().map(Plan.SchedulerSpec::name).toList());
        assertEquals(List.of(10), p.nfe());
        assertTrue(p.byNfe());
        assertNull(p.reference(), "reference: false turns it off");
        assertEquals("all", p.name());
    }

    @Test
    void pathsAreRelativeToThePlanFile() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("plans"));
        Path file = Files.writeString(sub.resolve("p.yaml"),
                "model: gmm:../ring.json\nsamplers: [euler]\nschedulers: [karras]\nnfe: [10]\nseeds: 1\nchecklist: ./c.yaml\n");
        Plan p = PlanReader.read(file);
        assertEquals("gmm:" + dir.resolve("ring.json").toAbsolutePath().normalize(), p.model());
        assertEquals(sub.resolve("c.yaml").toAbsolutePath().normalize(), p.checklist());

        Path folder = Files.writeString(sub.resolve("f.yaml"),
                "model: ./my-model\nsamplers: [euler]\nschedulers: [karras]\nsteps: [10]\nseeds: 1\n");
        assertEquals(sub.resolve("my-model").toAbsolutePath().normalize().toString(), PlanReader.read(folder).model());

        Path builtin = Files.writeString(sub.resolve("b.yaml"),
                "model: gmm:builtin\nsamplers: [euler]\nschedulers: [karras]\nsteps: [10]\nseeds: 1\n");
        assertEquals("gmm:builtin", PlanReader.read(builtin).model());
    }

    @Test
    void mixtureLabelsMayBeWrittenAsNumbers() {
        Plan p = PlanReader.parse(bytes("model: gmm:builtin\nsamplers: euler\nschedulers: karras\nsteps: 5\n"
                + "prompts: [\"\", 3, {prompt: 2, negative: 5}]\nseeds: 1\n"), true, "labels.yaml", dir);
        assertEquals(List.of(Plan.PromptSpec.of(""), Plan.PromptSpec.of("3"), new Plan.PromptSpec("2", "5")), p.prompts());
    }

    @Test
    void seedsMayBeOneStringLikeTheCommandLines() {
        Plan p = PlanReader.parse(bytes("model: gmm:builtin\nsamplers: euler\nschedulers: karras\nsteps: 5\n"
                + "seeds: 1-3, 10\n"), true, "s.yaml", dir);
        assertEquals(List.of(1L, 2L, 3L, 10L), p.seeds());
        assertOneLine("s.yaml: seeds is \"1-3, x\"; seeds are integers or ranges like \"1-8\"", assertThrows(PlanException.class,
                () -> PlanReader.parse(bytes("model: gmm:builtin\nsamplers: euler\nschedulers: karras\nsteps: 5\n"
                        + "seeds: 1-3, x\n"), true, "s.yaml", dir)).getMessage());
    }

    @Test
    void seedListsOfTheCommandLine() {
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 42L), PlanReader.seeds("1-8,42", "--seeds"));
        assertEquals(List.of(5L), PlanReader.seeds(" 5 ", "--seeds"));
        assertEquals(List.of(3L, 4L, 0L), PlanReader.seeds("3 - 4, 0", "--seeds"));
        assertOneLine("--seeds: range \"8-1\" runs backwards; write \"1-8\"",
                assertThrows(PlanException.class, () -> PlanReader.seeds("8-1", "--seeds")).getMessage());
        assertOneLine("--seeds: seed 3 is listed twice ('1-4' and '3')",
                assertThrows(PlanException.class, () -> PlanReader.seeds("1-4,3", "--seeds")).getMessage());
        assertOneLine("--seeds: \"x\" is not a seed; seeds are integers or ranges like \"1-8\"",
                assertThrows(PlanException.class, () -> PlanReader.seeds("1,x", "--seeds")).getMessage());
        assertOneLine("--seeds: \"\" is not a seed",
                assertThrows(PlanException.class, () -> PlanReader.seeds("1,", "--seeds")).getMessage());
        assertOneLine("--seeds: range \"0-5000000\" has 5000001 seeds; at most 1000000",
                assertThrows(PlanException.class, () -> PlanReader.seeds("0-5000000", "--seeds")).getMessage());
    }

    /** A valid YAML plan on the built-in model; each bad case replaces one line of it. */
    static final String GOOD = """
            model: fashion-eps
            samplers: [euler, dpmpp_2m]
            schedulers: [karras]
            steps: [10, 20]
            cfg: 3
            prompts: [sneaker, {prompt: dress, negative: coat}]
            seeds: 1-4
            """;

    static Stream<Arguments> badPlans() {
        return Stream.of(
                bad("unknown sampler", "samplers: [euler, eular]", "plan.yaml: samplers[1]: unknown sampler 'eular'; allowed: euler,"),
                bad("sampler 'all' inside a list", "samplers: [euler, all]", "samplers[1] is \"all\"; write \"all\" on its own"),
                bad("unknown scheduler", "schedulers: [karas]", "schedulers[0]: unknown scheduler 'karas'; allowed: normal, karras"),
                bad("sampler parameter out of range", "samplers: [{name: euler_ancestral, params: {eta: -1}}]",
                        "samplers[0]: sampler euler_ancestral: eta = -1 is out of range"),
                bad("unknown sampler parameter", "samplers: [{name: euler, params: {eta: 1}}]",
                        "samplers[0]: sampler euler has no parameter 'eta'"),
                bad("parameter of the wrong type", "samplers: [{name: euler_ancestral, params: {eta: [1]}}]",
                        "samplers[0].params.eta is [1]; a parameter value is a number"),
                bad("empty seed list", "seeds: []", "plan.yaml: seeds is empty"),
                bad("seed of the wrong type", "seeds: [1, 2, x]", "plan.yaml: seeds[2] is \"x\"; seeds are integers or ranges like \"1-8\""),
                bad("backwards range", "seeds: 8-1", "plan.yaml: seeds: range \"8-1\" runs backwards; write \"1-8\""),
                bad("repeated seed", "seeds: [1-4, 2]", "seed 2 is listed twice (seeds[0] and seeds[1])"),
                bad("prompt outside the vocabulary", "prompts: [sneaker, giraffe]",
                        "plan.yaml: prompts[1]: unknown class 'giraffe' in prompt 'giraffe'; the classes are: t-shirt,"),
                bad("negative outside the vocabulary", "prompts: [{prompt: dress, negative: hat}]",
                        "plan.yaml: prompts[0].negative: unknown class 'hat'"),
                bad("empty prompt list", "prompts: []", "plan.yaml: prompts is empty"),
                bad("repeated prompt", "prompts: [sneaker, sneaker]", "prompts[0] and prompts[1] have the same prompt 'sneaker'"),
                bad("unknown key", "sed: 3", "plan.yaml: unknown key 'sed'; allowed: name, model, samplers, schedulers, steps, nfe,"),
                bad("unknown key in an entry", "samplers: [{name: euler, parms: {}}]",
                        "plan.yaml: unknown key 'samplers[0].parms'; allowed: name, params, label"),
                bad("repeated key", "+steps: [5]", "Duplicate field 'steps'"),
                bad("steps and nfe both", "nfe: [10]", "plan.yaml: give steps or nfe, not both"),
                bad("steps out of range", "steps: [10, 0]", "plan.yaml: steps[1] = 0 is out of range; allowed: 1..10000"),
                bad("repeated steps", "steps: [10, 10]", "steps[0] and steps[1] have the same value 10"),
                bad("steps of the wrong type", "steps: [10, 2.5]", "plan.yaml: steps[1] is 2.5; expected an integer"),
                bad("duplicate labels", "samplers: [euler, {name: euler_ancestral, label: euler}]",
                        "plan.yaml: samplers[0] and samplers[1] have the same label 'euler'"),
                bad("same sampler twice", "samplers: [heun, heun]", "samplers[0] and samplers[1] have the same label 'heun'"),
                bad("negative cfg", "cfg: [3, -1]", "plan.yaml: cfg[1] = -1.0 is out of range"),
                bad("cfg of the wrong type", "cfg: three", "plan.yaml: cfg is \"three\"; expected a number"),
                bad("batch too large for an image model", "batch: 2000", "batch = 2000 is too large for an image model; allowed: 1..1024"),
                bad("zero batch", "batch: 0", "plan.yaml: batch = 0 is out of range; allowed: 1..1000000"),
                bad("negative drop_slowest", "drop_slowest: -1", "plan.yaml: drop_slowest = -1 is out of range; allowed: 0 or more"),
                bad("negative parallel", "parallel: -2", "plan.yaml: parallel = -2 is out of range"),
                bad("stochastic reference", "reference: {sampler: euler_ancestral}",
                        "plan.yaml: reference sampler 'euler_ancestral' is stochastic"),
                bad("adaptive reference", "reference: {sampler: dpm_adaptive}", "reference sampler 'dpm_adaptive' is adaptive"),
                bad("unknown reference scheduler", "reference: {scheduler: nope}", "plan.yaml: reference: unknown scheduler 'nope'"),
                bad("reference steps", "reference: {steps: 0}", "plan.yaml: reference.steps = 0 is out of range"),
                bad("missing checklist", "checklist: nowhere.yaml", "checklist '"),
                bad("unknown model", "model: fashion-epz", "plan.yaml: model 'fashion-epz' is not a model; available models: fashion-eps, fashion-flow (in "),
                bad("missing mixture spec", "model: gmm:nope.json", "plan.yaml: model: model spec '"),
                bad("mixture with no spec", "model: \"gmm:\"", "plan.yaml: model \"gmm:\" names no mixture"),
                bad("missing model", "model: null", "plan.yaml: missing 'model'"),
                bad("model of the wrong type", "model: [fashion-eps]", "plan.yaml: model is [\"fashion-eps\"]; expected text"));
    }

    /** The good plan with the line of the same key replaced, or added when the key is new or the line starts with "+". */
    private static Arguments bad(String what, String line, String expected) {
        boolean append = line.startsWith("+");
        String l = append ? line.substring(1) : line;
        String key = l.substring(0, l.indexOf(':'));
        List<String> lines = new ArrayList<>(GOOD.lines().toList());
        int at = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(key + ":")) {
                at = i;
            }
        }
        if (append || at < 0) {
            lines.add(l);
        } else {
            lines.set(at, l);
        }
        return Arguments.of(what, String.join("\n", lines) + "\n", expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPlans")
    void aBadPlanIsOneLineNamingTheBadValue(String what, String plan, String expected) throws IOException {
        Path file = write("plan.yaml", plan);
        PlanException e = assertThrows(PlanException.class, () -> PlanCheck.check(PlanReader.read(file), MODELS),
                what + ":\n" + plan);
        String message = e.getMessage().replace(file.toString(), "plan.yaml");
        assertOneLine(expected, message);
    }

    @Test
    void theGoodPlanIsGood() throws IOException {
        // The bad cases above fail because of their one change, not because the base plan is bad.
        Plan plan = PlanReader.read(write("plan.yaml", GOOD));
        assertEquals(2 * 1 * 2 * 1 * 2 * 4, PlanCheck.check(plan, MODELS).size());
    }

    @Test
    void jsonMistakes() throws IOException {
        assertOneLine("plan.json is not valid JSON (line 1, column ",
                assertThrows(PlanException.class, () -> PlanReader.parse(bytes("{\"model\": "), false, "plan.json", dir)).getMessage());
        assertOneLine("Duplicate field 'seeds'",
                assertThrows(PlanException.class, () -> PlanReader.parse(bytes("{\"seeds\": [1], \"seeds\": [2]}"), false,
                        "plan.json", dir)).getMessage());
        assertOneLine("plan.json: the plan is [1]; a plan is a mapping of keys",
                assertThrows(PlanException.class, () -> PlanReader.parse(bytes("[1]"), false, "plan.json", dir)).getMessage());
        assertOneLine("empty.yaml is empty",
                assertThrows(PlanException.class, () -> PlanReader.parse(bytes(""), true, "empty.yaml", dir)).getMessage());
    }

    @Test
    void fileMistakes() throws IOException {
        Path txt = write("plan.txt", GOOD);
        assertOneLine("plan '" + txt + "' must be a .json, .yaml or .yml file",
                assertThrows(PlanException.class, () -> PlanReader.read(txt)).getMessage());
        Path missing = dir.resolve("missing.yaml");
        assertOneLine("plan '" + missing + "' does not exist",
                assertThrows(PlanException.class, () -> PlanReader.read(missing)).getMessage());
    }

    /** The message is one line and contains the expected text. */
    static void assertOneLine(String expected, String message) {
        assertEquals(1, message.lines().count(), message);
        assertTrue(message.contains(expected), "expected '" + expected + "' in: " + message);
    }

    private Path write(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
