package dev.stepwise.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.CompatProfile;
import dev.stepwise.core.io.Npy;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.StepListener;
import dev.stepwise.core.tensor.Tensor;
import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.sd.SdModel;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compare plans on a Stable Diffusion folder: the tiny random-weight SD1 export of stepwise-onnx (tools/sd/make_tiny.py). */
class SdComparisonTest {
    @TempDir
    Path tmp;

    static Path sd1() throws Exception {
        return Path.of(SdComparisonTest.class.getResource("/sd/sd1/model_index.json").toURI()).getParent();
    }

    private Plan plan(String more) throws Exception {
        String yaml = "name: sd plan\nmodel: " + sd1() + "\nsamplers: [euler, euler_ancestral]\nschedulers: [simple]\n"
                + "steps: [3]\ncfg: 3\nprompts:\n  - {prompt: a cat, negative: blurry}\nseeds: [1, 2]\n"
                + "reference: {sampler: heun, scheduler: karras, steps: 4}\n" + more;
        return PlanReader.parse(yaml.getBytes(StandardCharsets.UTF_8), true, "sd.yaml", tmp);
    }

    @Test
    void cellsAreGeneratesImagesAndARerunComputesNothing() throws Exception {
        Plan plan = plan("width: 64\nheight: 48\n");
        List<Cell> cells = PlanCheck.check(plan, tmp);
        assertEquals(4, cells.size());
        Path report = tmp.resolve("report");
        List<CellResult> results;
        try (ModelSource source = ModelSources.open(plan, tmp, OnnxOptions.defaults())) {
            results = Comparison.run(plan, cells, source, report, Comparison.Listener.NONE);
            CompareReport.write(plan, cells, results, source, null, null, report);
        }
        Map<Long, Tensor> references = new java.util.HashMap<>();   // by seed, as each reference's record says
        for (References.Accuracy a : References.readAll(report.resolve(CellStore.REFERENCES))) {
            references.put(a.seed(), Npy.read(report.resolve(CellStore.REFERENCES).resolve(a.key() + ".npy")));
        }
        assertEquals(2, references.size());
        try (SdModel sd = SdModel.load(sd1(), OnnxOptions.defaults())) {
            for (CellResult r : results) {
                assertEquals("", r.error());
                assertEquals(3, r.nfe());
                assertEquals(3, r.networkCalls(), "cond and uncond rows in one UNet call per step");
                Tensor latents = Npy.read(report.resolve(r.samples()));
                Tensor reference = references.get(r.cell().seed());
                assertArrayEquals(new int[] {1, 4, 6, 8}, latents.shape(), "the latents of a 64x48 image");
                // The reference distance: RMS over the latent values, worked out here from the two files.
                double sum = 0;
                for (int i = 0; i < latents.size(); i++) {
                    double d = (double) latents.data()[i] - reference.data()[i];
                    sum += d * d;
                }
                assertEquals(Math.sqrt(sum / latents.size()), r.metric(CellResult.Metrics.REFERENCE_DISTANCE), 1e-9);
                assertFalse(r.metrics().containsKey(CellResult.Metrics.ADHERENCE), "no classifier on a checkpoint");

                // The same settings through the library's generate run: the same PNG, byte for byte.
                Cell c = r.cell();
                SdGeneration.Settings s = new SdGeneration.Settings("a cat", "blurry",
                        Samplers.get(c.config().sampler().name()), Map.of(), ScheduleNames.resolve("simple", tmp), Map.of(),
                        3, 3, c.seed(), 1, 1, CompatProfile.COMFYUI, 0, 64, 48, null);
                byte[] generated = SdGeneration.run(sd, s, StepListener.NONE).png();
                byte[] cell = Files.readAllBytes(report.resolve(r.image()));
                assertArrayEquals(generated, cell, r.id());
                BufferedImage img = ImageIO.read(new ByteArrayInputStream(cell));
                assertEquals(64, img.getWidth());
                assertEquals(48, img.getHeight());
                String text = new String(cell, StandardCharsets.ISO_8859_1);
                assertTrue(text.contains("Seed: " + c.seed() + ", Size: 64x48, Model: sd1, Model hash: "), text);
            }
        }
        String summary = Files.readString(report.resolve("summary.md"));
        assertTrue(summary.contains("Prompt adherence and the Fréchet distance need the built-in classifier of the 28x28"
                + " models and are left out on the Stable Diffusion checkpoint sd1; the reference distance is measured"
                + " on the latents (4x6x8 per image)"), summary);

        AtomicInteger already = new AtomicInteger(-1), ran = new AtomicInteger();
        try (ModelSource source = ModelSources.open(plan, tmp, OnnxOptions.defaults())) {
            Comparison.run(plan, cells, source, report, new Comparison.Listener() {
                @Override
                public void started(int total, int alreadyDone) {
                    already.set(alreadyDone);
                }

                @Override
                public void cellDone(CellResult r, int done, int total) {
                    ran.incrementAndGet();
                }
            });
        }
        assertEquals(4, already.get());
        assertEquals(0, ran.get(), "a rerun computes no cell");
    }

    @Test
    void theDefaultSizeIsTheFamilysAndAnotherSizeIsAnotherModelKey() throws Exception {
        Plan plan = plan("");
        try (SdSource a = (SdSource) ModelSources.open(plan, tmp, OnnxOptions.defaults());
             SdSource b = (SdSource) ModelSources.open(plan("width: 64\n"), tmp, OnnxOptions.defaults())) {
            assertEquals(512, a.width(), "SD1's native size");
            assertEquals(512, a.height());
            assertEquals(64, b.height(), "one size given stands for both");
            assertTrue(a.key().startsWith("sd1 512x512@"), a.key());
            assertTrue(b.key().startsWith("sd1 64x64@"), b.key());
        }
    }

    @Test
    void badInputIsOneLine() throws Exception {
        PlanException e = assertThrows(PlanException.class, () -> PlanCheck.check(plan("width: 500\n"), tmp));
        assertEquals("sd.yaml: width 500 is not allowed; width must be a positive multiple of 8 (the VAE's factor),"
                + " such as 496 or 504", e.getMessage());
        Path notSd = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(notSd.resolve("readme.txt"), "not a model");
        String yaml = "model: " + notSd + "\nsamplers: [euler]\nschedulers: [simple]\nsteps: [3]\nseeds: [1]\n";
        Plan p = PlanReader.parse(yaml.getBytes(StandardCharsets.UTF_8), true, "bad.yaml", tmp);
        e = assertThrows(PlanException.class, () -> PlanCheck.check(p, tmp));
        assertTrue(e.getMessage().startsWith("bad.yaml: model '" + notSd + "': the folder has no model.json (nor"
                + " model_index.json of a diffusers ONNX export)"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        Path fixture = Path.of(getClass().getResource("/fixtures/tiny-eps").toURI());
        String sized = "model: " + fixture + "\nsamplers: [euler]\nschedulers: [simple]\nsteps: [3]\nseeds: [1]\nwidth: 64\n";
        Plan q = PlanReader.parse(sized.getBytes(StandardCharsets.UTF_8), true, "sized.yaml", tmp);
        e = assertThrows(PlanException.class, () -> PlanCheck.check(q, tmp));
        assertEquals("sized.yaml: width applies to Stable Diffusion folders; model '" + fixture + "' makes samples of"
                + " its own fixed size", e.getMessage());
    }
}
