package dev.stepwise.harness;

import dev.stepwise.core.io.TextFiles;
import dev.stepwise.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The human-scoring sheet: a long-form CSV with one row per image and criterion,
 * {@code image,sampler,scheduler,steps,cfg,prompt,seed,criterion,score}, the score left blank for a person to
 * write 0 (flawed) or 1 (acceptable). The report writes it blank as {@value #SHEET}; a person saves the
 * filled-in copy as {@value #SCORES}, which {@link #read} turns into {@link HumanScores}.
 */
public final class ScoringSheet {
    /** The blank sheet in the report folder. */
    public static final String SHEET = "scoring-sheet.csv";
    /** The filled-in sheet in the report folder. */
    public static final String SCORES = "scores.csv";
    /** The sheet's columns. */
    public static final List<String> COLUMNS = List.of("image", "sampler", "scheduler", "steps", "cfg", "prompt",
            "seed", "criterion", "score");

    private ScoringSheet() {
    }

    /**
     * Writes the blank sheet for the finished images whose prompt the checklist scores, in plan order. A sheet
     * already at {@code file} that holds any score is left as it is, so a person filling it in place loses
     * nothing.
     *
     * @return whether the file was written (false: an existing sheet with scores was kept)
     */
    public static boolean write(Path file, Plan plan, List<CellResult> results, Checklist checklist) throws IOException {
        if (Files.exists(file) && holdsScores(file)) {
            return false;
        }
        writeScores(file, plan, results, checklist, Map.of());
        return true;
    }

    /**
     * Writes the sheet with scores filled in ({@value #SCORES} as a person would save it): every scorable image x
     * criterion in plan order, the score from {@code scores} (by cell id, then criterion: 0 or 1) or blank.
     *
     * @throws IllegalArgumentException for a score other than 0 or 1
     */
    public static void writeScores(Path file, Plan plan, List<CellResult> results, Checklist checklist,
                                   Map<String, Map<String, Integer>> scores) throws IOException {
        StringBuilder out = new StringBuilder();
        Csv.row(out, COLUMNS);
        for (CellResult r : scorable(plan, results, checklist)) {
            Cell c = r.cell();
            String prompt = plan.prompts().get(c.prompt()).prompt();
            Map<String, Integer> given = scores.getOrDefault(r.id(), Map.of());
            for (String criterion : checklist.criteria(prompt)) {
                Integer v = given.get(criterion);
                if (v != null && v != 0 && v != 1) {
                    throw new IllegalArgumentException("score " + v + " is not allowed; give 0 (flawed) or 1 (acceptable)");
                }
                Csv.row(out, List.of(r.image(), c.config().sampler().label(), c.config().scheduler().label(),
                        Integer.toString(c.steps()), Cell.plain(c.config().cfg()), prompt, Long.toString(c.seed()),
                        criterion, v == null ? "" : v.toString()));
            }
        }
        AtomicFiles.write(file, out.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads a filled-in sheet. A row names its image by the image path (as written) or the cell id; its score
     * is 0, 1, or blank (not scored yet). Columns other than image, criterion and score are for the person
     * and are not checked, so they may be reordered or added to.
     *
     * @throws PlanException one line naming the file, the line and the bad value: a score other than 0, 1 or
     *                       blank, an image or criterion this report does not have, a row given twice
     */
    public static HumanScores read(Path filledSheet, Plan plan, List<CellResult> results, Checklist checklist) {
        String source = filledSheet.toString();
        String text;
        try {
            text = TextFiles.decode(Files.readAllBytes(filledSheet), "scores '" + filledSheet + "'",
                    "the report's scoring sheet, CSV with the columns " + String.join(",", COLUMNS));
        } catch (IllegalArgumentException e) {
            throw new PlanException(e.getMessage());
        } catch (NoSuchFileException e) {
            throw new PlanException("scores '" + filledSheet + "' do not exist");
        } catch (IOException e) {
            throw new PlanException("cannot read scores '" + filledSheet + "': " + e.getMessage());
        }
        List<Csv.Record> records = Csv.parse(text, source);
        if (records.isEmpty()) {
            throw new PlanException(source + " is empty; expected the header " + String.join(",", COLUMNS) + " and rows");
        }
        List<String> header = records.get(0).fields().stream().map(String::strip).toList();
        int image = column(header, "image", source);
        int criterion = column(header, "criterion", source);
        int score = column(header, "score", source);

        Map<String, CellResult> byKey = new HashMap<>();
        for (CellResult r : scorable(plan, results, checklist)) {
            byKey.put(r.id(), r);
            byKey.put(r.image(), r);
        }
        Map<String, Map<String, Integer>> scores = new LinkedHashMap<>();
        Map<String, Integer> lineOf = new HashMap<>();
        for (Csv.Record rec : records.subList(1, records.size())) {
            String at = source + " line " + rec.line();
            if (rec.fields().size() != header.size()) {
                throw new PlanException(at + " has " + rec.fields().size() + " fields but the header has " + header.size()
                        + "; quote a value that holds a comma");
            }
            String key = rec.fields().get(image).strip();
            CellResult r = byKey.get(key);
            if (r == null) {
                throw new PlanException(at + ": image '" + key + "' is not a scored image of this report; "
                        + "the image column must hold an image path as " + SHEET + " lists it (or a cell id)");
            }
            String c = rec.fields().get(criterion).strip();
            String prompt = plan.prompts().get(r.cell().prompt()).prompt();
            List<String> criteria = checklist.criteria(prompt);
            if (!criteria.contains(c)) {
                throw new PlanException(at + ": criterion '" + c + "' is not on the checklist of prompt '" + prompt
                        + "'; allowed: " + String.join(", ", criteria.stream().map(s -> "'" + s + "'").toList()));
            }
            Integer before = lineOf.putIfAbsent(r.id() + "\n" + c, rec.line());
            if (before != null) {
                throw new PlanException(at + ": image '" + key + "', criterion '" + c + "' is scored twice (also line "
                        + before + ")");
            }
            String v = rec.fields().get(score).strip();
            if (v.isEmpty()) {
                continue;
            }
            if (!v.equals("0") && !v.equals("1")) {
                throw new PlanException(at + ": score '" + v + "' (image '" + key + "', criterion '" + c
                        + "') is not allowed; write 0 (flawed), 1 (acceptable) or leave it blank (not scored)");
            }
            scores.computeIfAbsent(r.id(), k -> new HashMap<>()).put(c, Integer.parseInt(v));
        }
        return new HumanScores(checklist, plan, results, scores);
    }

    /** The finished cells with an image whose prompt the checklist scores, once each, in plan order. */
    public static List<CellResult> scorable(Plan plan, List<CellResult> results, Checklist checklist) {
        Map<String, CellResult> byId = new LinkedHashMap<>();
        for (CellResult r : results) {
            if (!r.failed() && !r.image().isEmpty() && r.cell().prompt() < plan.prompts().size()
                    && !checklist.criteria(plan.prompts().get(r.cell().prompt()).prompt()).isEmpty()) {
                byId.putIfAbsent(r.id(), r);
            }
        }
        List<CellResult> out = new ArrayList<>(byId.values());
        out.sort(PlanOrder.results(plan));
        return out;
    }

    private static int column(List<String> header, String name, String source) {
        int i = header.indexOf(name);
        if (i < 0) {
            throw new PlanException(source + " line 1: the header has no '" + name + "' column; expected "
                    + String.join(",", COLUMNS));
        }
        return i;
    }

    /** Whether a sheet has any score written in, or cannot be read as a sheet (then it is not ours to replace). */
    private static boolean holdsScores(Path file) throws IOException {
        List<Csv.Record> records;
        try {
            records = Csv.parse(Files.readString(file), file.toString());
        } catch (PlanException | java.nio.charset.MalformedInputException e) {
            return true;
        }
        if (records.isEmpty()) {
            return false;
        }
        int score = records.get(0).fields().stream().map(String::strip).toList().indexOf("score");
        if (score < 0) {
            return true;
        }
        for (Csv.Record r : records.subList(1, records.size())) {
            if (r.fields().size() > score && !r.fields().get(score).isBlank()) {
                return true;
            }
        }
        return false;
    }
}
