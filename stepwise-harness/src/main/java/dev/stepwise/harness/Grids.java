package dev.stepwise.harness;

import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.io.Npy;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.image.Filter;
import dev.stepwise.onnx.image.PngWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The report's labelled image grids (A1111's X/Y plot) for image models, written to {@code REPORT/grids/}. For
 * each prompt x scheduler x cfg of the plan:
 * <ul>
 *   <li>{@code p<prompt>-<scheduler>-cfg<cfg>-steps.png} (or {@code -nfe.png} for NFE budgets): rows = samplers,
 *       columns = step-axis values, at the plan's first seed;</li>
 *   <li>{@code p<prompt>-<scheduler>-cfg<cfg>-seeds.png}, when the plan has several seeds: rows = samplers,
 *       columns = seeds, at the largest step-axis value.</li>
 * </ul>
 * Images are row 0 of each cell's samples, upscaled without smoothing so pixels stay visible. Cells are matched
 * to the plan by sampler and scheduler labels, step-axis value, cfg, prompt and seed.
 */
public final class Grids {
    private Grids() {
    }

    /**
     * Writes the grids of the plan's image cells and returns their paths; writes nothing and returns an empty
     * list when no result has an image (analytic models, or every cell failed).
     *
     * @param results   finished cells (any subset of the plan's; others are drawn as "missing")
     * @param reportDir the report folder; results' sample paths are relative to it
     */
    public static List<Path> write(Plan plan, List<CellResult> results, Path reportDir) throws IOException {
        List<Sheet> sheets = sheets(plan, results, reportDir);
        List<Path> written = new ArrayList<>();
        if (sheets.isEmpty()) {
            return written;
        }
        Path dir = reportDir.resolve("grids");
        AtomicFiles.createFolder(dir);
        for (Sheet s : sheets) {
            Path path = dir.resolve(s.name() + ".png");
            AtomicFiles.write(path, PngWriter.encode(s.grid().render(), s.parameters()));
            written.add(path);
        }
        return written;
    }

    /**
     * One grid to write.
     *
     * @param name       the file name without ".png"
     * @param grid       the grid
     * @param parameters the PNG's {@code parameters} text
     */
    record Sheet(String name, XyGrid grid, String parameters) {
    }

    /** The grids of the plan, in write order; none when no result has an image. */
    static List<Sheet> sheets(Plan plan, List<CellResult> results, Path reportDir) {
        if (results.stream().allMatch(r -> r.image().isEmpty())) {
            return List.of();
        }
        Map<String, CellResult> byKey = new HashMap<>();
        for (CellResult r : results) {
            Cell c = r.cell();
            byKey.put(key(c.config().sampler().label(), c.config().scheduler().label(), c.config().stepAxis(),
                    c.config().cfg(), c.prompt(), c.seed()), r);
        }
        // Three times the 28-pixel model is easy to judge; at two a full catalogue's column stays a few screens tall.
        int scale = plan.samplers().size() <= 16 ? 3 : 2;
        Tiles tiles = new Tiles(reportDir, scale);
        List<String> samplers = plan.samplers().stream().map(Plan.SamplerSpec::label).toList();
        List<Integer> axis = plan.stepAxis();
        String axisName = plan.byNfe() ? "NFE" : "steps";
        int last = Collections.max(axis);
        long firstSeed = plan.seeds().get(0);
        Set<String> names = new HashSet<>();
        List<Sheet> sheets = new ArrayList<>();
        for (int p = 0; p < plan.prompts().size(); p++) {
            Plan.PromptSpec prompt = plan.prompts().get(p);
            for (Plan.SchedulerSpec scheduler : plan.schedulers()) {
                for (double cfg : plan.cfg()) {
                    String stem = "p" + p + "-" + safe(scheduler.label()) + "-cfg" + safe(Cell.plain(cfg));
                    int pi = p;
                    List<List<XyGrid.Tile>> bySteps = table(samplers, axis, (s, v) -> byKey.get(
                            key(s, scheduler.label(), v, cfg, pi, firstSeed)), tiles);
                    XyGrid steps = new XyGrid(title(plan, prompt, scheduler, cfg, "seed " + firstSeed), samplers,
                            axis.stream().map(v -> v + " " + axisName).toList(), bySteps);
                    sheets.add(new Sheet(unique(names, stem + "-" + (plan.byNfe() ? "nfe" : "steps")), steps,
                            parameters(plan, prompt, scheduler, cfg, "Seed: " + firstSeed,
                                    plan.byNfe() ? "NFE budget" : "Steps", join(axis))));
                    if (plan.seeds().size() > 1) {
                        List<List<XyGrid.Tile>> bySeed = table(samplers, plan.seeds(), (s, seed) -> byKey.get(
                                key(s, scheduler.label(), last, cfg, pi, seed)), tiles);
                        XyGrid seeds = new XyGrid(title(plan, prompt, scheduler, cfg, last + " " + axisName), samplers,
                                plan.seeds().stream().map(seed -> "seed " + seed).toList(), bySeed);
                        sheets.add(new Sheet(unique(names, stem + "-seeds"), seeds,
                                parameters(plan, prompt, scheduler, cfg, (plan.byNfe() ? "NFE budget: " : "Steps: ") + last,
                                        "Seed", join(plan.seeds()))));
                    }
                }
            }
        }
        return sheets;
    }

    /** A file-name-safe form of a label: letters, digits and {@code _.+-}, others replaced by '_'. */
    static String safe(String s) {
        String t = s.replaceAll("[^A-Za-z0-9_.+-]", "_");
        return t.isEmpty() ? "_" : t;
    }

    private static String unique(Set<String> names, String stem) {
        // Two labels that differ only in characters a file name cannot hold still get two files.
        String name = stem;
        for (int k = 2; !names.add(name); k++) {
            name = stem + "-" + k;
        }
        return name;
    }

    private static String key(String sampler, String scheduler, int stepAxis, double cfg, int prompt, long seed) {
        return String.join("\u0000", sampler, scheduler, Integer.toString(stepAxis), Double.toString(cfg),
                Integer.toString(prompt), Long.toString(seed));
    }

    private interface Lookup<T> {
        CellResult find(String sampler, T column);
    }

    private static <T> List<List<XyGrid.Tile>> table(List<String> samplers, List<T> columns, Lookup<T> lookup,
                                                     Tiles tiles) {
        List<List<XyGrid.Tile>> rows = new ArrayList<>();
        for (String s : samplers) {
            List<XyGrid.Tile> row = new ArrayList<>();
            for (T c : columns) {
                row.add(tiles.of(lookup.find(s, c)));
            }
            rows.add(row);
        }
        return rows;
    }

    /** Tiles of cell results, each read once (a cell appears in a steps grid and a seeds grid). */
    private static final class Tiles {
        private final Path reportDir;
        private final int scale;
        private final Map<String, XyGrid.Tile> cache = new HashMap<>();

        Tiles(Path reportDir, int scale) {
            this.reportDir = reportDir;
            this.scale = scale;
        }

        XyGrid.Tile of(CellResult r) {
            if (r == null) {
                return XyGrid.Tile.blank("missing");
            }
            if (r.failed()) {
                return XyGrid.Tile.blank("failed");
            }
            XyGrid.Tile t = cache.get(r.id());
            if (t == null) {
                t = read(r);
                cache.put(r.id(), t);
            }
            return t;
        }

        private XyGrid.Tile read(CellResult r) {
            if (r.samples().isEmpty()) {
                return XyGrid.Tile.blank("missing");
            }
            Path file = reportDir.resolve(r.samples());
            if (!Files.isRegularFile(file)) {
                // Removed by hand or never written: the grid still shows every other cell.
                return XyGrid.Tile.blank("missing");
            }
            try {
                Tensor samples = Npy.read(file);
                return XyGrid.Tile.of(PngWriter.image(samples, 0, scale, Filter.NEAREST));
            } catch (IOException | IllegalArgumentException e) {
                // A damaged or non-image file spoils one tile, not the grid.
                return XyGrid.Tile.blank("unreadable");
            }
        }
    }

    private static List<String> title(Plan plan, Plan.PromptSpec prompt, Plan.SchedulerSpec scheduler, double cfg,
                                      String fixed) {
        return List.of(
                plan.name() + " (" + plan.model() + ")",
                "prompt: " + shown(prompt.prompt()),
                "negative: " + shown(prompt.negative()),
                "scheduler: " + scheduler.label() + "   cfg: " + Cell.plain(cfg) + "   " + fixed);
    }

    private static String shown(String prompt) {
        return prompt.isEmpty() ? "(none)" : prompt;
    }

    /** The grid's description in the PNG's {@code parameters} chunk, in the spirit of A1111's X/Y plot infotext. */
    private static String parameters(Plan plan, Plan.PromptSpec prompt, Plan.SchedulerSpec scheduler, double cfg,
                                     String fixed, String xType, String xValues) {
        return prompt.prompt() + "\nNegative prompt: " + prompt.negative()
                + "\nModel: " + plan.model() + ", Schedule type: " + scheduler.label() + ", CFG scale: "
                + Cell.plain(cfg) + ", " + fixed
                + ", X Type: " + xType + ", X Values: \"" + xValues + "\""
                + ", Y Type: Sampler, Y Values: \"" + join(plan.samplers().stream().map(Plan.SamplerSpec::label).toList())
                + "\", Grid: " + plan.name();
    }

    private static String join(List<?> values) {
        return values.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }
}
