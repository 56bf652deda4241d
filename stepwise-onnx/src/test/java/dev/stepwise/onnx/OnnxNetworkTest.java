package dev.stepwise.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.DiscreteVpSampling;
import dev.stepwise.core.model.FlowSampling;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.model.Prediction;
import dev.stepwise.core.tensor.Tensor;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The tiny fixture network of tools/fixtures/make_onnx_fixtures.py computes
 * out = 0.5 x + 0.001 t + sum_k y_k W[k, p] with W[k, p] = 0.01 (k + 1) + 0.0001 p, so the denoiser's
 * result is known in closed form: D = x - sigma * out(c_in x, t(sigma), y).
 */
class OnnxNetworkTest {
    static Path fixture(String name) {
        try {
            return Path.of(OnnxNetworkTest.class.getResource("/fixtures/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The fixture's formula, evaluated independently of ONNX Runtime. */
    static float[] expectedRaw(float[] scaledX, double t, double[][] y) {
        int row = 784;
        float[] out = new float[scaledX.length];
        for (int b = 0; b < y.length; b++) {
            for (int p = 0; p < row; p++) {
                double s = 0.5 * scaledX[b * row + p] + 0.001 * t;
                for (int k = 0; k < 10; k++) {
                    s += y[b][k] * (0.01 * (k + 1) + 0.0001 * p);
                }
                out[b * row + p] = (float) s;
            }
        }
        return out;
    }

    static Tensor randomBatch(int b, long seed) {
        Random r = new Random(seed);
        float[] d = new float[b * 784];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (3 * r.nextGaussian());
        }
        return Tensor.wrap(d, b, 1, 28, 28);
    }

    private static void checkDenoiser(ImageModel m, double sigma, double expectedT, double cIn) {
        Tensor x = randomBatch(3, 7);
        List<Conditioning> cond = List.of(m.prompt("bag"), Conditioning.NONE, m.prompt("(coat:1.3), sneaker"));
        double[][] y = new double[3][];
        for (int i = 0; i < 3; i++) {
            y[i] = cond.get(i) instanceof Conditioning.Classes c ? c.weights() : new double[10];
        }
        assertEquals(expectedT, m.model().sampling().timestep(sigma), 1e-6 * Math.max(1, expectedT));
        float[] scaled = new float[x.size()];
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] = (float) (cIn * x.data()[i]);
        }
        float[] raw = expectedRaw(scaled, expectedT, y);
        Tensor out = Tensor.zeros(x.shape());
        m.model().denoiser().denoise(x, sigma, cond, out);
        for (int i = 0; i < raw.length; i++) {
            double want = x.data()[i] - sigma * raw[i];
            assertEquals(want, out.data()[i], 1e-5 * (1 + Math.abs(want)), "element " + i);
        }
    }

    @Test
    void epsModelDenoisesByTheClosedForm() {
        try (ImageModel m = ImageModel.load(fixture("tiny-eps"))) {
            assertInstanceOf(DiscreteVpSampling.class, m.model().sampling());
            assertEquals(Prediction.EPS, m.model().sampling().prediction());
            assertArrayEquals(new int[] {1, 28, 28}, m.model().sampleShape());
            assertEquals("tiny-eps", m.name());
            assertEquals(10, m.classes().size());
            ModelSampling s = m.model().sampling();
            // A training sigma maps to its own integer timestep (k-diffusion's sigma_to_t).
            double sigma = s.sigmaTable()[500];
            checkDenoiser(m, sigma, 500, 1 / Math.sqrt(sigma * sigma + 1));
        }
    }

    @Test
    void flowModelDenoisesByTheClosedForm() {
        try (ImageModel m = ImageModel.load(fixture("tiny-flow"))) {
            FlowSampling s = assertInstanceOf(FlowSampling.class, m.model().sampling());
            assertEquals(2.0, s.shift());
            assertEquals(Prediction.FLOW, s.prediction());
            // Flow models see the plain x and the timestep sigma * 1000.
            checkDenoiser(m, 0.6, 600, 1);
        }
    }

    @Test
    void largeBatchesAreSplitWithoutChangingTheResult() {
        Tensor x = randomBatch(5, 3);
        List<Conditioning> cond = List.of(Conditioning.label(0, 10), Conditioning.label(1, 10), Conditioning.NONE,
                Conditioning.label(8, 10), Conditioning.classes(0, 0, 0.5, 0, 0, 0, 0, 0, 0, 2));
        Tensor whole = Tensor.zeros(x.shape()), split = Tensor.zeros(x.shape());
        Path file = fixture("tiny-eps").resolve("model.onnx");
        try (OnnxNetwork a = new OnnxNetwork(file, 10, OnnxOptions.defaults());
             OnnxNetwork b = new OnnxNetwork(file, 10, OnnxOptions.defaults().withMaxBatch(2).withThreads(1))) {
            assertEquals(2, b.maxBatch());
            a.forward(x, 123.5, cond, whole);
            b.forward(x, 123.5, cond, split);
        }
        assertArrayEquals(whole.data(), split.data());
        double[][] y = new double[5][];
        for (int i = 0; i < 5; i++) {
            y[i] = cond.get(i) instanceof Conditioning.Classes c ? c.weights() : new double[10];
        }
        float[] want = expectedRaw(x.data(), 123.5, y);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], whole.data()[i], 1e-5 * (1 + Math.abs(want[i])));
        }
    }

    @Test
    void conditioningIsCheckedAgainstTheClassCount() {
        try (ImageModel m = ImageModel.load(fixture("tiny-eps"))) {
            Tensor x = randomBatch(1, 1), out = Tensor.zeros(1, 1, 28, 28);
            var wrong = assertThrows(IllegalArgumentException.class,
                    () -> m.model().denoiser().denoise(x, 1.0, List.of(Conditioning.classes(1, 0, 0)), out));
            assertTrue(wrong.getMessage().contains("10 classes"), wrong.getMessage());
            assertThrows(IllegalArgumentException.class, () -> m.model().denoiser().denoise(x, 1.0,
                    List.of(new Conditioning.Embedding(Tensor.zeros(1, 4))), out));
            Tensor small = Tensor.zeros(1, 1, 8, 8);
            var shape = assertThrows(IllegalArgumentException.class,
                    () -> m.network().forward(small, 1.0, List.of(Conditioning.NONE), Tensor.zeros(1, 1, 8, 8)));
            assertTrue(shape.getMessage().contains("[1, 28, 28]"), shape.getMessage());
        }
    }

    @Test
    void cudaInTheCpuBuildFailsWithOneClearMessage() {
        Assumptions.assumeFalse(OnnxSessions.cudaAvailable(), "this build has the CUDA provider");
        var e = assertThrows(IllegalStateException.class, () -> new OnnxNetwork(
                fixture("tiny-eps").resolve("model.onnx"), 10, OnnxOptions.defaults().withDevice(OnnxOptions.Device.CUDA)));
        assertTrue(e.getMessage().contains("CUDA is unavailable") && e.getMessage().contains("-Pcuda"), e.getMessage());
    }

    @Test
    void missingFilesAndBadJsonGiveOneLine() {
        var e = assertThrows(IllegalArgumentException.class, () -> ImageModel.load(Path.of("no/such/folder")));
        assertTrue(e.getMessage().contains("model.json"), e.getMessage());
        var f = assertThrows(IllegalArgumentException.class,
                () -> new OnnxNetwork(Path.of("no/such.onnx"), 10, OnnxOptions.defaults()));
        assertTrue(f.getMessage().contains("does not exist"), f.getMessage());
        var c = assertThrows(IllegalArgumentException.class,
                () -> new OnnxNetwork(fixture("tiny-classifier").resolve("classifier.onnx"), 10, OnnxOptions.defaults()));
        assertTrue(c.getMessage().contains("no input named 't'"), c.getMessage());
    }

    @Test
    void samplingThroughTheEngineCountsOneNetworkCallPerStep() {
        try (ImageModel m = ImageModel.load(fixture("tiny-eps"))) {
            SampleResult r = Stepwise.sample(SampleRequest.builder(m.model()).sampler("euler").scheduler("karras")
                    .steps(6).seed(42).batch(2).build());
            assertEquals(6, r.calls().nfe());
            assertArrayEquals(new int[] {2, 1, 28, 28}, r.samples().shape());
            for (float v : r.samples().data()) {
                assertTrue(Float.isFinite(v));
            }
        }
    }
}
