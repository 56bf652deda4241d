package dev.stepwise.harness.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.harness.Cell;
import dev.stepwise.harness.MixtureSpec;
import dev.stepwise.harness.Plan;
import dev.stepwise.harness.Summary;
import dev.stepwise.onnx.ModelConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** tune's decisions: the tables that fit a model, the ranking figure, the ranking. */
class TuningTest {
    static final Path MODELS = Path.of("..", "models").toAbsolutePath().normalize();

    private static Summary.Row row(String sampler, double frechet, double error, double w1, double ref, int failed) {
        Cell.Config c = new Cell.Config(Plan.SamplerSpec.of(sampler), Plan.SchedulerSpec.of("karras"), 5, true, 3);
        Summary.Timing t = new Summary.Timing(10, 0.01, 0.01, 0, 0.01, 0, 0.01, 0.01);
        return new Summary.Row(c, 10, failed, 1000, 5, 5, t, 0.002, 0.9, 0.95, frechet, null, w1, Double.NaN, ref,
                Double.NaN, null, error);
    }

    @Test
    void theStableDiffusionTablesFitOnlyItsNoiseSchedule() {
        // fashion-eps has SD's scaled_linear 0.00085..0.012 betas, so its sigma_max is the tables' first level.
        var eps = ModelConfig.read(MODELS.resolve("fashion-eps")).sampling();
        assertEquals(Tuning.SD_SIGMA_MAX, eps.sigmaMax(), 1e-6);   // its table is float32, as ComfyUI's
        assertEquals(List.of("ays sd1", "ays sdxl", "gits table"), Tuning.tables(eps).stream().map(Tuning.Table::label).toList());
        for (Tuning.Table t : Tuning.tables(eps)) {
            Schedulers.get(t.name()).options(t.parameters());   // names and parameters the registry takes
        }
        assertTrue(Tuning.tables(ModelConfig.read(MODELS.resolve("fashion-flow")).sampling()).isEmpty());
        assertTrue(Tuning.tables(MixtureSpec.builtIn().sampling()).isEmpty());
        for (String g : Tuning.GENERIC) {
            assertTrue(Schedulers.names().contains(g), g);
        }
    }

    @Test
    void theFigureIsTheBestTheRowsHave() {
        assertEquals(Tuning.Figure.FRECHET, Tuning.figure(List.of(row("a", Double.NaN, Double.NaN, Double.NaN, 0.1, 0),
                row("b", 20, 1, Double.NaN, 0.2, 0))));
        assertEquals(Tuning.Figure.SLICED_W1, Tuning.figure(List.of(row("a", Double.NaN, Double.NaN, 0.3, 0.1, 0))));
        assertEquals(Tuning.Figure.REFERENCE, Tuning.figure(List.of(row("a", Double.NaN, Double.NaN, Double.NaN, 0.1, 0))));
        assertThrows(IllegalArgumentException.class,
                () -> Tuning.figure(List.of(row("a", Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0))));
    }

    @Test
    void rowsRankByTheFigureWithFailedAndMissingLast() {
        List<Summary.Row> rows = List.of(row("a", 30, 1, Double.NaN, Double.NaN, 0), row("b", Double.NaN, Double.NaN,
                Double.NaN, Double.NaN, 0), row("c", 18, 1, Double.NaN, Double.NaN, 0), row("d", 10, 1, Double.NaN,
                Double.NaN, 3), row("e", 20, 2, Double.NaN, Double.NaN, 0));
        List<Tuning.Ranked> r = Tuning.rank(rows, Tuning.Figure.FRECHET);
        assertEquals(List.of("c", "e", "a", "b", "d"), r.stream().map(x -> x.row().config().sampler().label()).toList());
        assertEquals(List.of(1, 2, 3, 4, 5), r.stream().map(Tuning.Ranked::rank).toList());
        // FD 18 +- 1.96: [16.04, 19.96]; FD 20 +- 3.92: [16.08, 23.92].
        assertEquals(16.04, r.get(0).low(), 1e-12);
        assertEquals(23.92, r.get(1).high(), 1e-12);
        assertTrue(r.get(0).within(r.get(1)));
        assertFalse(r.get(2).within(r.get(0)));
        assertFalse(r.get(0).within(Tuning.rank(List.of(row("x", Double.NaN, Double.NaN, 0.5, 0, 0)),
                Tuning.Figure.SLICED_W1).get(0)));   // no interval, so nothing is within it
    }
}
