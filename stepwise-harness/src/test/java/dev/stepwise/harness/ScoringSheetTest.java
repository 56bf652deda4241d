package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The human-scoring loop with the community experiment's arithmetic: 4 prompts with 15, 17, 18 and 19
 * criteria (17.25 on average), 8 seeds, so 32 images and 552 possible points per sampler.
 */
class ScoringSheetTest {
    private static final List<String> PROMPTS = List.of("sneaker", "bag", "dress", "ankle boot");
    private static final int[] CRITERIA = {15, 17, 18, 19};

    @TempDir
    Path dir;

    Plan plan;
    List<Cell> cells;
    List<CellResult> results;
    Checklist checklist;

    @BeforeEach
    void setUp() {
        plan = ReportFixtures.plan(List.of("euler", "heun"), List.of(20), PROMPTS, 8, 1);
        cells = ReportFixtures.cells(plan);
        results = new ArrayList<>();
        cells.forEach(c -> results.add(ReportFixtures.ok(c, 1, 1, Map.of(), null)));
        StringBuilder yaml = new StringBuilder("prompts:\n");
        for (int p = 0; p < PROMPTS.size(); p++) {
            yaml.append("  - prompt: ").append(PROMPTS.get(p)).append("\n    criteria:\n");
            for (int k = 0; k < CRITERIA[p]; k++) {
                yaml.append("      - \"p").append(p).append(" c").append(k).append("\"\n");
            }
        }
        checklist = Checklist.parse(yaml.toString(), false, "checklist.yaml", plan);
    }

    /** Criterion k of an image at seed index s fails when k < s mod 4: 0+1+2+3+0+1+2+3 = 12 failures per prompt. */
    private static String handScore(String criterion, int seedIndex) {
        int k = Integer.parseInt(criterion.substring(criterion.indexOf('c') + 1));
        return k < seedIndex % 4 ? "0" : "1";
    }

    /** Fills the blank sheet's lines of one sampler with the hand scores, leaving the others blank. */
    private Path fill(Path blank, String sampler) throws IOException {
        List<String> lines = Files.readAllLines(blank);
        List<String> out = new ArrayList<>();
        out.add(lines.get(0));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1); // the test's texts hold no comma or quote
            assertEquals(9, f.length, line);
            assertEquals("", f[8]);
            if (f[1].equals(sampler)) {
                int seedIndex = plan.seeds().indexOf(Long.parseLong(f[6]));
                line = line + handScore(f[7], seedIndex);
            }
            out.add(line);
        }
        Path filled = dir.resolve(ScoringSheet.SCORES);
        Files.write(filled, out);
        return filled;
    }

    @Test
    void blankSheetHasOneRowPerImageAndCriterion() throws IOException {
        Path sheet = dir.resolve(ScoringSheet.SHEET);
        assertTrue(ScoringSheet.write(sheet, plan, results, checklist));
        List<String> lines = Files.readAllLines(sheet);
        assertEquals("image,sampler,scheduler,steps,cfg,prompt,seed,criterion,score", lines.get(0));
        assertEquals(1 + 2 * 8 * (15 + 17 + 18 + 19), lines.size()); // 2 samplers x 552
        CellResult first = results.get(0);
        assertEquals(first.image() + ",euler,simple,20,3,sneaker,1000,p0 c0,", lines.get(1));
        assertTrue(Files.readString(sheet).contains("\r\n"), "RFC 4180 line ends");
    }

    @Test
    void writtenScoresReadBack() throws IOException {
        // Euler's first image: every criterion of its prompt met, one failed; the rest left blank.
        CellResult first = results.get(0);
        List<String> criteria = checklist.criteria("sneaker");
        Map<String, Integer> given = new java.util.HashMap<>();
        criteria.forEach(c -> given.put(c, 1));
        given.put(criteria.get(0), 0);
        Path filled = dir.resolve(ScoringSheet.SCORES);
        ScoringSheet.writeScores(filled, plan, results, checklist, Map.of(first.id(), given));
        HumanScores scores = ScoringSheet.read(filled, plan, results, checklist);
        assertEquals(given, scores.given(first.id()));
        Summary.HumanScore euler = scores.of(first.cell().config());
        assertEquals(1, euler.images());
        assertEquals(31, euler.unscored());
        assertEquals(14, euler.total());
        assertEquals(15, euler.possible());
        assertThrows(IllegalArgumentException.class, () -> ScoringSheet.writeScores(filled, plan, results, checklist,
                Map.of(first.id(), Map.of(criteria.get(0), 2))));
    }

    @Test
    void aggregatesLikeTheCommunityExperiment() throws IOException {
        Path sheet = dir.resolve(ScoringSheet.SHEET);
        ScoringSheet.write(sheet, plan, results, checklist);
        HumanScores scores = ScoringSheet.read(fill(sheet, "euler"), plan, results, checklist);

        Summary.HumanScore euler = scores.of(cells.get(0).config());
        assertEquals(32, euler.images());
        assertEquals(0, euler.unscored());
        assertEquals(552, euler.possible()); // 8 x (15 + 17 + 18 + 19)
        assertEquals(552 - 4 * 12, euler.total()); // 12 failures per prompt
        assertEquals(17.25, euler.averagePossible(), 1e-12);
        assertEquals(15.75, euler.average(), 1e-12); // 504 / 32
        assertEquals("average score 15.75 out of 17.25", Format.averageScore(euler));
        assertEquals("total score 504 out of 552", Format.totalScore(euler));

        Summary.HumanScore heun = scores.of(cells.get(cells.size() - 1).config());
        assertEquals(0, heun.images());
        assertEquals(32, heun.unscored());
        assertEquals("–", Format.averageScore(heun));

        // the scores reach the summary rows
        Summary s = Summaries.of(plan, cells, results, dir, null, scores);
        assertEquals(euler, s.rows().get(0).human());
        assertEquals(heun, s.rows().get(1).human());
    }

    @Test
    void experimentLineReadsLikeThePublishedOne() {
        // 449 of 552 over 32 images: 14.03125 -> "14.03"; 552 / 32 = 17.25
        Summary.HumanScore h = new Summary.HumanScore(32, 0, 449, 552);
        Summary.Timing t = new Summary.Timing(32, 129.9, 125.87, 4, 128, 3, 125, 135);
        Summary.Row row = new Summary.Row(cells.get(0).config(), 32, 0, 32, 20, 20, t, 6.5, 0.98, Double.NaN,
                Double.NaN, null, Double.NaN, Double.NaN, Double.NaN, Double.NaN, h);
        assertEquals("Average score 14.03 out of 17.25 / Total score 449 out of 552 / Average time 129.90 s per picture"
                + " / Average time normalized 125.87 s per picture", Format.experimentLine(row));
    }

    @Test
    void anImageWithABlankCriterionIsNotCounted() throws IOException {
        Path sheet = dir.resolve(ScoringSheet.SHEET);
        ScoringSheet.write(sheet, plan, results, checklist);
        Path filled = fill(sheet, "euler");
        List<String> lines = new ArrayList<>(Files.readAllLines(filled));
        // line 2 is euler, sneaker, seed index 0, criterion p0 c0, score 1: blank it
        assertTrue(lines.get(1).endsWith(",p0 c0,1"), lines.get(1));
        lines.set(1, lines.get(1).substring(0, lines.get(1).length() - 1));
        Files.write(filled, lines);
        Summary.HumanScore euler = ScoringSheet.read(filled, plan, results, checklist).of(cells.get(0).config());
        assertEquals(31, euler.images());
        assertEquals(1, euler.unscored());
        assertEquals(552 - 15, euler.possible());
        assertEquals(504 - 15, euler.total()); // seed index 0 scored all 15 of its criteria 1
    }

    private String sheetWith(String image, String criterion, String score) {
        return "image,sampler,scheduler,steps,cfg,prompt,seed,criterion,score\r\n"
                + image + ",euler,simple,20,3,sneaker,1000," + criterion + "," + score + "\r\n";
    }

    private PlanException readBad(String text) throws IOException {
        Path f = dir.resolve("bad.csv");
        Files.writeString(f, text);
        return assertThrows(PlanException.class, () -> ScoringSheet.read(f, plan, results, checklist));
    }

    @Test
    void badSheetsAreOneClearLine() throws IOException {
        String image = results.get(0).image();
        for (String bad : List.of("2", "yes", "0.5", "-1")) {
            PlanException e = readBad(sheetWith(image, "p0 c0", bad));
            assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("'" + bad + "'")
                    && e.getMessage().contains("0 (flawed), 1 (acceptable)"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
        PlanException unknown = readBad(sheetWith("images/nope.png", "p0 c0", "1"));
        assertTrue(unknown.getMessage().contains("line 2") && unknown.getMessage().contains("'images/nope.png'"),
                unknown.getMessage());
        PlanException criterion = readBad(sheetWith(image, "p1 c0", "1"));
        assertTrue(criterion.getMessage().contains("'p1 c0'") && criterion.getMessage().contains("'sneaker'"),
                criterion.getMessage());
        PlanException twice = readBad(sheetWith(image, "p0 c0", "1") + image + ",,,,,,,p0 c0,0\r\n");
        assertTrue(twice.getMessage().contains("line 3") && twice.getMessage().contains("also line 2"), twice.getMessage());
        PlanException header = readBad("picture,criterion,score\n");
        assertTrue(header.getMessage().contains("'image'"), header.getMessage());
        PlanException fields = readBad(sheetWith(image, "p0 c0", "1,extra"));
        assertTrue(fields.getMessage().contains("line 2 has 10 fields"), fields.getMessage());
        PlanException open = readBad(sheetWith(image, "\"p0 c0", "1"));
        assertTrue(open.getMessage().contains("never closed"), open.getMessage());
    }

    @Test
    void cellIdsQuotedFieldsAndSpreadsheetQuirksAreAccepted() throws IOException {
        String id = results.get(0).id();
        Path f = dir.resolve("s.csv");
        Files.writeString(f, "\uFEFFscore,criterion,image,note\n 1 ,p0 c0," + id + ",\"fine, \"\"really\"\"\"\n\n");
        HumanScores scores = ScoringSheet.read(f, plan, results, checklist);
        assertNotNull(scores);
        Summary.HumanScore h = scores.of(cells.get(0).config());
        assertEquals(0, h.images()); // one criterion of 15 scored: not counted yet
        assertEquals(32, h.unscored());
    }

    @Test
    void quotedTextRoundTrips() throws IOException {
        Plan commas = ReportFixtures.plan(List.of("euler"), List.of(20), List.of("sneaker, white"), 1, 1);
        List<Cell> cs = ReportFixtures.cells(commas);
        List<CellResult> rs = List.of(ReportFixtures.ok(cs.get(0), 1, 1, Map.of(), null));
        Checklist cl = Checklist.parse("{\"prompts\": [{\"prompt\": \"sneaker, white\", \"criteria\": [\"says \\\"hi\\\"\", \"b\"]}]}",
                true, "c.json", commas);
        Path sheet = dir.resolve(ScoringSheet.SHEET);
        ScoringSheet.write(sheet, commas, rs, cl);
        String text = Files.readString(sheet);
        assertTrue(text.contains(",\"sneaker, white\",1000,\"says \"\"hi\"\"\",\r\n"), text);
        Files.writeString(sheet, text.replace(",\r\n", ",1\r\n"));
        Summary.HumanScore h = ScoringSheet.read(sheet, commas, rs, cl).of(cs.get(0).config());
        assertEquals(new Summary.HumanScore(1, 0, 2, 2), h);
    }

    @Test
    void aSheetWithScoresIsNotOverwritten() throws IOException {
        Path sheet = dir.resolve(ScoringSheet.SHEET);
        ScoringSheet.write(sheet, plan, results, checklist);
        Path filled = fill(sheet, "euler");
        Files.copy(filled, sheet, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        byte[] before = Files.readAllBytes(sheet);
        assertFalse(ScoringSheet.write(sheet, plan, results, checklist));
        assertEquals(new String(before), Files.readString(sheet));
    }

    @Test
    void failedCellsAndPromptsWithoutCriteriaGetNoRows() throws IOException {
        Checklist one = Checklist.parse("{\"prompts\": [{\"prompt\": \"bag\", \"criteria\": [\"strap\"]}]}", true,
                "c.json", plan);
        List<CellResult> rs = new ArrayList<>(results);
        Cell bagCell = cells.get(8); // euler, prompt 1 ("bag"), first seed
        assertEquals(1, bagCell.prompt());
        rs.set(8, ReportFixtures.failed(bagCell, "boom"));
        Path sheet = dir.resolve(ScoringSheet.SHEET);
        ScoringSheet.write(sheet, plan, rs, one);
        assertEquals(1 + 2 * 8 - 1, Files.readAllLines(sheet).size());
    }

    @Test
    void checklistErrorsAreOneLine() {
        String[][] cases = {
            {"{\"prompts\": [], \"extra\": 1}", "unknown key 'extra'"},
            {"{\"prompts\": [{\"prompt\": \"sneaker\", \"criteria\": [\"a\"], \"weight\": 2}]}", "unknown key 'prompts[0].weight'"},
            {"{\"prompts\": [{\"prompt\": \"shirt\", \"criteria\": [\"a\"]}]}", "'shirt' is not a prompt of the plan"},
            {"{\"prompts\": [{\"prompt\": \"sneaker\", \"criteria\": []}]}", "prompts[0].criteria must be a non-empty list"},
            {"{\"prompts\": [{\"prompt\": \"sneaker\", \"criteria\": [\"a\", \" \"]}]}", "prompts[0].criteria[1]"},
            {"{\"prompts\": [{\"prompt\": \"sneaker\", \"criteria\": [\"a\", \"a\"]}]}", "listed twice"},
            {"{\"prompts\": []}", "'prompts' must be a non-empty list"},
            {"{\"prompts\": [{\"prompt\": \"sneaker\"", "is not valid JSON"},
        };
        for (String[] c : cases) {
            PlanException e = assertThrows(PlanException.class, () -> Checklist.parse(c[0], true, "c.json", plan), c[0]);
            assertTrue(e.getMessage().startsWith("c.json") && e.getMessage().contains(c[1]), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void checklistFileIsReadAsYamlOrJson() throws IOException {
        Path yaml = dir.resolve("c.yaml");
        Files.writeString(yaml, "prompts:\n  - prompt: bag\n    criteria: [has a strap, has a handle]\n");
        assertEquals(List.of("has a strap", "has a handle"), Checklist.read(yaml, plan).criteria("bag"));
        assertEquals(List.of(), Checklist.read(yaml, plan).criteria("sneaker"));
        Path json = dir.resolve("c.json");
        Files.writeString(json, "{\"prompts\": [{\"prompt\": \"dress\", \"criteria\": [\"long\"]}]}");
        assertEquals(List.of("long"), Checklist.read(json, plan).criteria("dress"));
        PlanException missing = assertThrows(PlanException.class, () -> Checklist.read(dir.resolve("none.yaml"), plan));
        assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    }
}
