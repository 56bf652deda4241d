package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code stepwise compare} end to end, in-process: bad plans are refused before anything is written, flags and
 * plan files mean the same, an interrupted run resumes to the same report, the human-scoring loop, the
 * image report's files, and a Fréchet distance that is not available rather than fatal. Runs on the exact
 * built-in mixture (small batches) and stepwise-onnx's tiny fixture models (tiny-eps: 28x28, closed-form
 * output, the ten Fashion-MNIST class names; tiny-classifier), so each test takes seconds; one test also runs
 * the shipped fashion-eps model and classifier from ../models when they are there.
 */
@ExtendWith(FixtureModels.class)
class CompareCommandTest {
    /** The timing columns of cells.csv and summary.csv: wall-clock figures that differ from run to run. */
    static final Set<String> TIMING = Set.of("seconds", "network_seconds", "cell_seconds", "time_mean", "time_normalized",
            "time_median", "time_std", "time_p10", "time_p90", "seconds_per_call", "model_share");

    @TempDir
    Path dir;


    private static Cli.Result compare(Path out, String... args) {
        return Cli.compare(out, args);
    }

    private Path file(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    // ---------------------------------------------------------------- bad plans

    /** A valid small plan on the mixture, as YAML, with one line replaced. */
    private static final String GOOD_PLAN = """
            name: small
            model: gmm:builtin
            samplers: [euler, heun]
            schedulers: [karras]
            steps: [4, 8]
            prompts: ["", "3"]
            seeds: [1, 2]
            batch: 256
            """;

    static Stream<Arguments> badPlans() {
        return Stream.of(
                Arguments.of("unknown sampler (flags)", null, List.of("--model", "gmm:builtin", "--samplers", "euler,nosuch"),
                        "nosuch"),
                Arguments.of("unknown sampler (plan file)", GOOD_PLAN.replace("[euler, heun]", "[euler, nosuch]"), List.of(),
                        "nosuch"),
                Arguments.of("empty seed list", GOOD_PLAN.replace("seeds: [1, 2]", "seeds: []"), List.of(), "seeds"),
                Arguments.of("prompt outside the vocabulary", null, List.of("--model", "tiny-eps", "--prompt", "sneaker",
                        "--prompt", "unicorn"), "unicorn"),
                Arguments.of("plan file and plan flags", GOOD_PLAN, List.of("--steps", "5"), "not both"),
                Arguments.of("--steps and --nfe", null, List.of("--model", "gmm:builtin", "--steps", "5", "--nfe", "10"),
                        "--nfe"),
                Arguments.of("more negatives than prompts", null, List.of("--model", "tiny-eps", "--prompt", "bag",
                        "--negative", "coat", "--negative", "dress"), "2 --negative for 1 --prompt"),
                Arguments.of("bad --reference", null, List.of("--model", "gmm:builtin", "--reference", "heun/karras"),
                        "heun/karras"),
                Arguments.of("bad --reference steps", null, List.of("--model", "gmm:builtin", "--reference",
                        "heun/karras/many"), "many"),
                Arguments.of("unknown plan key", GOOD_PLAN + "colour: blue\n", List.of(), "colour"),
                Arguments.of("-P for a sampler without the parameter", null, List.of("--model", "gmm:builtin", "--samplers",
                        "euler,euler_ancestral", "-P", "eta=0.5"), "euler has no parameter 'eta'"),
                Arguments.of("-P for a sampler not listed", null, List.of("--model", "gmm:builtin", "--samplers", "euler",
                        "-P", "heun:s_churn=1"), "heun"),
                Arguments.of("-P out of range", null, List.of("--model", "gmm:builtin", "--samplers", "euler_ancestral",
                        "-P", "eta=-1"), "eta"),
                Arguments.of("-S without =", null, List.of("--model", "gmm:builtin", "-S", "rho"), "rho"),
                Arguments.of("prompt outside a mixture's labels", GOOD_PLAN.replace("[\"\", \"3\"]", "[\"\", \"8\"]"),
                        List.of(), "8"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPlans")
    void aBadPlanIsOneLineAndNothingIsWritten(String what, String planText, List<String> flags, String named)
            throws IOException {
        Path out = dir.resolve("report");
        List<String> args = new ArrayList<>();
        if (planText != null) {
            args.add(file("plan.yaml", planText).toString());
        }
        args.addAll(flags);
        Cli.Result r = compare(out, args.toArray(String[]::new));
        assertEquals(Main.USAGE, r.code(), what + ": " + r.err());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().startsWith("stepwise compare: "), r.err());
        assertTrue(r.err().contains(named), "the message names '" + named + "': " + r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertEquals("", r.out());
        assertFalse(Files.exists(out), "nothing written for " + what);
    }

    @Test
    void aMissingPlanFileIsNamed() {
        Path out = dir.resolve("report");
        Path missing = dir.resolve("nowhere.yaml");
        Cli.Result r = compare(out, missing.toString());
        assertEquals(Main.USAGE, r.code(), r.err());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains(missing.toString()) && r.err().contains("does not exist"), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void anOutThatIsAFileIsRefusedAndLeftAlone() throws IOException {
        Path out = file("report.txt", "mine");
        Cli.Result r = compare(out, "--model", "gmm:builtin", "--batch", "256", "--steps", "4", "--seeds", "1");
        assertEquals(Main.USAGE, r.code(), r.err());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().contains(out.toString()) && r.err().contains("is a file"), r.err());
        assertEquals("mine", Files.readString(out));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(out), s.toList(), "nothing else written next to it");
        }
    }

    // ---------------------------------------------------------------- flags and plan files

    @Test
    void flagsAndTheEquivalentPlanFileGiveTheSameCells() throws IOException {
        Path fromFlags = dir.resolve("flags"), fromFile = dir.resolve("file");
        Cli.Result a = compare(fromFlags, "--name", "same", "--model", "gmm:builtin", "--samplers", "euler,dpmpp_2m",
                "--schedulers", "karras,normal", "--steps", "3,6", "--cfg", "2", "--prompt", "2", "--prompt", "",
                "--negative", "5", "--seeds", "4", "--batch", "256", "--reference", "heun/karras/20");
        Path plan = file("same.yaml", """
                name: same
                model: gmm:builtin
                samplers: [euler, dpmpp_2m]
                schedulers: [karras, normal]
                steps: [3, 6]
                cfg: 2
                prompts:
                  - {prompt: "2", negative: "5"}
                  - ""
                seeds: [4]
                batch: 256
                reference: {sampler: heun, scheduler: karras, steps: 20}
                """);
        Cli.Result b = compare(fromFile, plan.toString());
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        List<List<String>> flagsCsv = csv(fromFlags.resolve("cells.csv"));
        List<List<String>> fileCsv = csv(fromFile.resolve("cells.csv"));
        // 2 samplers x 2 schedulers x 2 step counts x 2 prompts, plus the header.
        assertEquals(1 + 16, flagsCsv.size());
        assertEquals(withoutTiming(flagsCsv), withoutTiming(fileCsv));
        assertTrue(flagsCsv.get(0).contains("sliced_w1"), "the mixture's exact distance is measured: " + flagsCsv.get(0));
    }

    @Test
    void samplerAndSchedulerParametersFromFlagsMatchThePlanFile() throws IOException {
        Path fromFlags = dir.resolve("flags"), fromFile = dir.resolve("file");
        Cli.Result a = compare(fromFlags, "--name", "params", "--model", "gmm:builtin", "--samplers",
                "euler_ancestral,dpmpp_2m_sde", "-P", "eta=0.5", "-P", "dpmpp_2m_sde:s_noise=0.9", "--schedulers", "karras",
                "-S", "rho=5", "--steps", "4", "--seeds", "1", "--batch", "256", "--reference", "none");
        Path plan = file("params.yaml", """
                name: params
                model: gmm:builtin
                samplers:
                  - {name: euler_ancestral, params: {eta: 0.5}}
                  - {name: dpmpp_2m_sde, params: {eta: 0.5, s_noise: 0.9}}
                schedulers: [{name: karras, params: {rho: 5}}]
                steps: [4]
                seeds: [1]
                batch: 256
                reference: false
                """);
        Cli.Result b = compare(fromFile, plan.toString());
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        List<List<String>> flagsCsv = csv(fromFlags.resolve("cells.csv"));
        assertEquals(withoutTiming(flagsCsv), withoutTiming(csv(fromFile.resolve("cells.csv"))));
        int sampler = flagsCsv.get(0).indexOf("sampler"), scheduler = flagsCsv.get(0).indexOf("scheduler");
        assertEquals("euler_ancestral eta=0.5", flagsCsv.get(1).get(sampler));
        assertEquals("dpmpp_2m_sde eta=0.5 s_noise=0.9", flagsCsv.get(2).get(sampler));
        assertEquals("karras rho=5", flagsCsv.get(1).get(scheduler));
    }

    // ---------------------------------------------------------------- resumption

    @Test
    void aRerunRecomputesOnlyTheMissingCellsAndGivesTheSameReport() throws IOException {
        Path out = dir.resolve("report");
        String[] plan = {"--model", "gmm:builtin", "--samplers", "euler,heun,euler_ancestral", "--steps", "4,8",
                "--prompt", "", "--prompt", "1", "--seeds", "1-2", "--batch", "256", "--reference", "heun/karras/20"};
        assertEquals(0, compare(out, plan).code());
        List<List<String>> cells1 = csv(out.resolve("cells.csv"));
        List<List<String>> summary1 = csv(out.resolve("summary.csv"));
        assertEquals(1 + 3 * 2 * 2 * 2, cells1.size());
        Path cellsDir = out.resolve("cells");
        List<Path> files;
        try (Stream<Path> s = Files.list(cellsDir)) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertEquals(24, files.size());
        // A crash before these cells finished: their result files were never written.
        List<Path> deleted = List.of(files.get(0), files.get(7), files.get(13), files.get(23));
        for (Path p : deleted) {
            Files.delete(p);
        }
        List<String> keptBytes = new ArrayList<>();
        for (Path p : files) {
            if (!deleted.contains(p)) {
                keptBytes.add(Files.readString(p));
            }
        }

        Cli.Result r = compare(out, plan);
        assertEquals(0, r.code(), r.err());
        for (Path p : deleted) {
            assertTrue(Files.isRegularFile(p), "recomputed " + p.getFileName());
        }
        List<String> keptAfter = new ArrayList<>();
        for (Path p : files) {
            if (!deleted.contains(p)) {
                keptAfter.add(Files.readString(p));
            }
        }
        assertEquals(keptBytes, keptAfter, "finished cells are not run again (their files keep their timings)");
        List<List<String>> cells2 = csv(out.resolve("cells.csv"));
        int id = cells2.get(0).indexOf("id");
        List<String> ids = cells2.subList(1, cells2.size()).stream().map(row -> row.get(id)).toList();
        assertEquals(24, ids.size());
        assertEquals(24, new HashSet<>(ids).size(), "every cell exactly once");
        assertEquals(withoutTiming(cells1), withoutTiming(cells2));
        assertEquals(withoutTiming(summary1), withoutTiming(csv(out.resolve("summary.csv"))));
    }

    // ---------------------------------------------------------------- human scores

    @Test
    void aFilledInScoringSheetGivesTheScoresInTheSummary() throws IOException {
        Path out = dir.resolve("report");
        Path checklist = file("checklist.yaml", """
                prompts:
                  - prompt: sneaker
                    criteria: [is a sneaker, sole drawn, no holes]
                  - prompt: dress
                    criteria: [is a dress, no sleeves]
                """);
        String[] plan = {"--model", "tiny-eps", "--samplers", "euler,heun", "--steps", "2,3", "--prompt", "sneaker",
                "--prompt", "dress", "--seeds", "1-2", "--reference", "none", "--checklist", checklist.toString()};
        Cli.Result first = compare(out, plan);
        assertEquals(0, first.code(), first.err());
        List<List<String>> sheet = csv(out.resolve("scoring-sheet.csv"));
        assertEquals(List.of("image", "sampler", "scheduler", "steps", "cfg", "prompt", "seed", "criterion", "score"),
                sheet.get(0));
        // 4 configurations x 2 seeds x (3 sneaker criteria + 2 dress criteria).
        assertEquals(1 + 4 * 2 * 5, sheet.size());
        String md = Files.readString(out.resolve("summary.md"));
        assertFalse(md.contains("out of"), "no scores before the sheet is filled in");

        // Score 1 everywhere but: euler/2 steps loses one sneaker and one dress criterion; heun/3 steps leaves one
        // criterion of sneaker seed 2 blank, so that image is not counted.
        StringBuilder filled = new StringBuilder(String.join(",", sheet.get(0))).append("\r\n");
        for (List<String> row : sheet.subList(1, sheet.size())) {
            String sampler = row.get(1), steps = row.get(3), prompt = row.get(5), seed = row.get(6), criterion = row.get(7);
            String score = "1";
            if (sampler.equals("euler") && steps.equals("2") && (prompt.equals("sneaker") && seed.equals("1")
                    && criterion.equals("sole drawn") || prompt.equals("dress") && seed.equals("2")
                    && criterion.equals("no sleeves"))) {
                score = "0";
            }
            if (sampler.equals("heun") && steps.equals("3") && prompt.equals("sneaker") && seed.equals("2")
                    && criterion.equals("no holes")) {
                score = "";
            }
            List<String> copy = new ArrayList<>(row.subList(0, 8));
            copy.add(score);
            filled.append(String.join(",", copy)).append("\r\n");
        }
        Files.writeString(out.resolve("scores.csv"), filled);

        Cli.Result second = compare(out, plan);
        assertEquals(0, second.code(), second.err());
        md = Files.readString(out.resolve("summary.md"));
        // euler/2: 4 images, 2x3 + 2x2 = 10 criteria, 2 zeros.
        assertExperimentLine(md, "euler / karras / 2 steps / cfg 3", "Average score 2.00 out of 2.50 / Total score 8 out of 10");
        assertExperimentLine(md, "euler / karras / 3 steps / cfg 3", "Average score 2.50 out of 2.50 / Total score 10 out of 10");
        assertExperimentLine(md, "heun / karras / 2 steps / cfg 3", "Average score 2.50 out of 2.50 / Total score 10 out of 10");
        // heun/3: 3 fully scored images (3 + 2 + 2 criteria, all met): 7/3 each.
        assertExperimentLine(md, "heun / karras / 3 steps / cfg 3", "Average score 2.33 out of 2.33 / Total score 7 out of 7");
        assertTrue(md.contains("average score 2.00 out of 2.50") && md.contains("total score 8 out of 10"), md);
        assertTrue(md.contains("1 image is not fully scored"), md);
        List<List<String>> summary = csv(out.resolve("summary.csv"));
        List<String> h = summary.get(0);
        for (List<String> row : summary.subList(1, summary.size())) {
            boolean euler2 = row.get(h.indexOf("sampler")).equals("euler") && row.get(h.indexOf("steps")).equals("2");
            boolean heun3 = row.get(h.indexOf("sampler")).equals("heun") && row.get(h.indexOf("steps")).equals("3");
            assertEquals(heun3 ? "3" : "4", row.get(h.indexOf("human_images")));
            assertEquals(heun3 ? "1" : "0", row.get(h.indexOf("human_unscored")));
            assertEquals(euler2 ? "8" : heun3 ? "7" : "10", row.get(h.indexOf("human_total")));
            assertEquals(heun3 ? "7" : "10", row.get(h.indexOf("human_possible")));
        }
        assertEquals(sheet, csv(out.resolve("scoring-sheet.csv")), "the blank sheet is unchanged");
    }

    private static void assertExperimentLine(String md, String config, String scores) {
        List<String> lines = md.lines().filter(l -> l.contains(config) && l.contains("Average time")).toList();
        assertEquals(1, lines.size(), config + " in\n" + md);
        assertTrue(lines.get(0).contains(scores), lines.get(0));
    }

    // ---------------------------------------------------------------- the image report

    @Test
    void anImageModelRunWritesGridsPlotsAndPages() throws IOException {
        Path out = dir.resolve("report");
        Cli.Result r = compare(out, "--model", "tiny-eps", "--samplers", "euler,dpmpp_2m", "--steps", "2,4",
                "--prompt", "sneaker", "--prompt", "(bag:1.2)", "--seeds", "1-2", "--reference", "heun/karras/8");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().contains("16 cells (4 configurations) on tiny-eps"), r.out());
        for (String f : List.of("plan.json", "cells.csv", "cells.json", "summary.csv", "summary.json", "summary.md",
                "index.html")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertFalse(Files.exists(out.resolve("scoring-sheet.csv")), "no checklist, no sheet");
        try (Stream<Path> s = Files.list(out.resolve("images"))) {
            assertEquals(16, s.filter(p -> p.toString().endsWith(".png")).count());
        }

        // Per prompt (p0, p1) x scheduler x cfg: samplers x steps at the first seed, and samplers x seeds.
        assertEquals(Set.of("p0-karras-cfg3-steps.png", "p0-karras-cfg3-seeds.png", "p1-karras-cfg3-steps.png",
                "p1-karras-cfg3-seeds.png"), names(out.resolve("grids")));
        for (String g : names(out.resolve("grids"))) {
            BufferedImage img = ImageIO.read(out.resolve("grids").resolve(g).toFile());
            assertNotNull(img, g);
            // Two sampler rows of 28-pixel tiles at least, more than one column.
            assertTrue(img.getHeight() >= 2 * 28 && img.getWidth() >= 2 * 28, g + " " + img.getWidth() + "x" + img.getHeight());
        }

        Set<String> plots = names(out.resolve("plots"));
        for (String p : List.of("time-vs-nfe", "convergence-vs-nfe", "change-vs-nfe")) {
            assertTrue(plots.contains(p + ".png") && plots.contains(p + ".svg"), p + " in " + plots);
        }
        for (String p : plots) {
            String stem = p.substring(0, p.lastIndexOf('.'));
            assertTrue(plots.contains(stem + ".png") && plots.contains(stem + ".svg"), "PNG and SVG of " + stem);
            if (p.endsWith(".png")) {
                assertNotNull(ImageIO.read(out.resolve("plots").resolve(p).toFile()), p);
            } else {
                String svg = Files.readString(out.resolve("plots").resolve(p), StandardCharsets.UTF_8);
                assertTrue(svg.contains("<svg"), p);
            }
        }
        String html = Files.readString(out.resolve("index.html"));
        String md = Files.readString(out.resolve("summary.md"));
        for (String page : List.of(html, md)) {
            assertTrue(page.contains("grids/p0-karras-cfg3-steps.png"), "the pages show the grids");
            assertTrue(page.contains("plots/time-vs-nfe.png"), "the pages show the plots");
        }
        // The distance to the converged reference is measured for each cell.
        List<List<String>> cells = csv(out.resolve("cells.csv"));
        int ref = cells.get(0).indexOf("reference_distance");
        assertNotEquals(-1, ref, cells.get(0).toString());
        for (List<String> row : cells.subList(1, cells.size())) {
            double d = Double.parseDouble(row.get(ref));
            assertTrue(d > 0 && Double.isFinite(d), row.toString());
        }
        // Each cell's PNG is the model's 28 x 28 image at scale 4.
        Path image = out.resolve(cells.get(1).get(cells.get(0).indexOf("image")));
        BufferedImage img = ImageIO.read(image.toFile());
        assertArrayEquals(new int[] {112, 112}, new int[] {img.getWidth(), img.getHeight()});
    }

    // ---------------------------------------------------------------- the Fréchet distance

    /** A models folder with tiny-eps and the tiny classifier as its classifier (4 features, real covariance of rank 4). */
    private Path homeWithClassifier() throws IOException, URISyntaxException {
        Path fixtures = Cli.fixtureModels();
        Path home = dir.resolve("models");
        for (String[] copy : List.of(new String[] {"tiny-eps", "tiny-eps"}, new String[] {"tiny-classifier", "classifier"})) {
            Files.createDirectories(home.resolve(copy[1]));
            try (Stream<Path> files = Files.list(fixtures.resolve(copy[0]))) {
                for (Path f : files.toList()) {
                    Files.copy(f, home.resolve(copy[1]).resolve(f.getFileName()));
                }
            }
        }
        return home;
    }

    @Test
    void tooFewImagesForTheFrechetDistanceStillGiveTheReport() throws IOException, URISyntaxException {
        // 4 images against real features of rank 4: FD needs 5. The run used to end in "internal error"
        // when the covariance square root failed; now the report says why there is no FD, and a rerun with
        // one more seed (the 4 finished cells reused) has one.
        String fixtures = System.getProperty("stepwise.models");
        System.setProperty("stepwise.models", homeWithClassifier().toString());
        try {
            Path out = dir.resolve("report");
            Cli.Result r = compare(out, "--model", "tiny-eps", "--samplers", "euler", "--steps", "5", "--cfg", "10",
                    "--prompt", "sneaker", "--seeds", "1-4");
            assertEquals(0, r.code(), r.err());
            assertEquals("", r.err());
            String reason = "only 4 images: FD needs at least 5 here, one more than the 4 directions the real images'"
                    + " features vary in (with fewer, FD measures the image count, not the images)";
            assertTrue(Files.readString(out.resolve("summary.md")).contains("FD is not available: " + reason + "."),
                    Files.readString(out.resolve("summary.md")));
            assertTrue(Files.readString(out.resolve("index.html")).contains("FD is not available: "
                    + reason.replace("'", "&#39;") + "."), "index.html");
            List<List<String>> summary = csv(out.resolve("summary.csv"));
            int fd = summary.get(0).indexOf("frechet");
            assertEquals(List.of("", reason), summary.get(1).subList(fd, fd + 2));
            String json = Files.readString(out.resolve("summary.json"));
            assertTrue(json.contains("\"frechet\" : null"), json);

            Cli.Result more = compare(out, "--model", "tiny-eps", "--samplers", "euler", "--steps", "5", "--cfg", "10",
                    "--prompt", "sneaker", "--seeds", "1-5", "--force");   // another plan (one more seed): --force
            assertEquals(0, more.code(), more.err());
            summary = csv(out.resolve("summary.csv"));
            double value = Double.parseDouble(summary.get(1).get(fd));
            assertTrue(value > 0 && Double.isFinite(value), summary.get(1).toString());
            assertEquals("", summary.get(1).get(fd + 1));
            assertTrue(Files.readString(out.resolve("summary.md")).contains("| adherence | FD |"), "the FD column");
        } finally {
            System.setProperty("stepwise.models", fixtures);
        }
    }

    @Test
    void theCommandThatStoppedOnTheShippedModelsWritesItsReport() throws IOException {
        // The command that ended in "internal error: MathIllegalStateException" (the sample covariance of 4
        // images has rank 3 of 128), on the shipped fashion-eps model and classifier when they are present.
        Path shipped = Path.of("../models").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isRegularFile(shipped.resolve("fashion-eps/model.onnx"))
                && Files.isRegularFile(shipped.resolve("classifier/classifier.onnx")), "shipped models absent");
        String fixtures = System.getProperty("stepwise.models");
        System.setProperty("stepwise.models", shipped.toString());
        try {
            Path out = dir.resolve("report");
            Cli.Result r = compare(out, "--samplers", "euler", "--steps", "5", "--cfg", "10", "--prompt", "sneaker",
                    "--seeds", "1-4");
            assertEquals(0, r.code(), r.err());
            String md = Files.readString(out.resolve("summary.md"));
            assertTrue(md.contains("FD is not available: only 4 images: FD needs at least 95 here, one more than the 94"
                    + " directions the real images' features vary in"), md);
        } finally {
            System.setProperty("stepwise.models", fixtures);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static Set<String> names(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }

    /** The CSV's rows with the timing columns removed (by the header's names). */
    private static List<List<String>> withoutTiming(List<List<String>> rows) {
        List<String> header = rows.get(0);
        List<List<String>> out = new ArrayList<>();
        for (List<String> row : rows) {
            assertEquals(header.size(), row.size(), row.toString());
            List<String> kept = new ArrayList<>();
            for (int i = 0; i < row.size(); i++) {
                if (!TIMING.contains(header.get(i))) {
                    kept.add(row.get(i));
                }
            }
            out.add(kept);
        }
        return out;
    }

    /** RFC 4180: comma-separated, double-quoted fields may hold commas, quotes ("") and line breaks. */
    static List<List<String>> csv(Path file) throws IOException {
        String text = Files.readString(file);
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                row.add(field.toString());
                field.setLength(0);
            } else if (c == '\r' || c == '\n') {
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                row.add(field.toString());
                field.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
            } else {
                field.append(c);
            }
        }
        if (!field.isEmpty() || !row.isEmpty()) {
            row.add(field.toString());
            rows.add(row);
        }
        return rows;
    }
}
