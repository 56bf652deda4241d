package dev.stepwise.harness;

import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Denoiser;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.tensor.Tensor;
import java.util.List;

/**
 * The model a plan runs on, opened once and shared by every worker: an ONNX image model ({@link ImageSource}), a
 * Stable Diffusion folder ({@link SdSource}) or an exact analytic mixture ({@link MixtureSource}).
 */
public sealed interface ModelSource extends AutoCloseable permits ImageSource, SdSource, MixtureSource {

    /** The model's name, as reports show it. */
    String name();

    /**
     * Identifies the model's behaviour in cell ids and reference keys: its name and a digest of the content of
     * every file that decides a result (an image model's config, weights and classifier; a mixture's spec), so
     * editing any of them gives new ids and the old cells are not reused.
     */
    String key();

    /** The shape of one sample (row), e.g. [1, 28, 28] or [2]. */
    int[] sampleShape();

    /** What prompts may name, for messages: class names, or mixture labels. */
    List<String> vocabulary();

    /**
     * Parses a prompt ("" = unconditional).
     *
     * @param where names the prompt in a message, e.g. "plan.yaml: prompts[2].negative"
     * @throws PlanException naming the text, the place and the vocabulary
     */
    Conditioning parse(String text, String where);

    /**
     * A model for one worker thread: its own denoiser scratch over the shared network session, every call
     * counted and timed into {@code timer}.
     */
    Model model(CallTimer timer);

    /** What the report says about the quality figures this model cannot have, or "" when it has them all. */
    default String metricsNote() {
        return "";
    }

    @Override
    void close();

    /** Wraps a denoiser so that each call is counted and timed. */
    static Denoiser timed(Denoiser inner, CallTimer timer) {
        return new Denoiser() {
            @Override
            public void denoise(Tensor x, double sigma, List<Conditioning> cond, Tensor out) {
                long t0 = System.nanoTime();
                inner.denoise(x, sigma, cond, out);
                timer.add(System.nanoTime() - t0);
            }

            @Override
            public int maxBatch() {
                return inner.maxBatch();
            }
        };
    }
}
