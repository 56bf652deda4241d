package dev.stepwise.onnx.sd;

import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Network;
import dev.stepwise.core.tensor.Tensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The UNet (or SD3 transformer) of a model folder as the core's {@link Network}: it gets the scaled latent and the
 * model timestep and each row's {@link SdConditioning}, and returns the raw prediction (eps, v or flow velocity).
 * Rows whose prompts have different window counts are batched as ComfyUI batches them: each row's context repeated
 * to the least common multiple of the token counts (comfy/conds.py, CONDCrossAttn.concat), which leaves attention's
 * result unchanged. SDXL's {@code time_ids} are the image size, no crop, the same target size, as ComfyUI forms them
 * from the latent (comfy/model_base.py, SDXL.encode_adm).
 */
final class SdNetwork implements Network {
    private final Family.Denoiser names;
    private final TypedSession session;
    private final int channels;
    private final int contextWidth;
    private final int pooledWidth;
    private final int timestepRank;
    private final boolean timestepPerRow;
    private final int maxBatch;

    SdNetwork(Family family, TypedSession session, int maxBatch) {
        this.names = family.denoiser();
        this.session = session;
        this.maxBatch = maxBatch;
        Path file = session.file();
        long[] sample = session.input(names.sample(), 4);
        channels = family.latentChannels();
        if (sample[1] > 0 && sample[1] != channels) {
            throw new IllegalArgumentException(file + ": input '" + names.sample() + "' has " + sample[1]
                    + " latent channels, expected " + channels + " (" + family.title() + " latents)");
        }
        long[] t = session.input(names.timestep(), 0, 1);
        timestepRank = t.length;
        timestepPerRow = t.length == 1 && t[0] != 1;
        long[] ctx = session.input(names.context(), 3);
        contextWidth = (int) ctx[2];
        if (names.pooled() != null) {
            pooledWidth = (int) session.input(names.pooled(), 2)[1];
        } else {
            pooledWidth = 0;
        }
        if (names.timeIds() != null) {
            long[] ids = session.input(names.timeIds(), 2);
            if (ids[1] > 0 && ids[1] != 6) {
                throw new IllegalArgumentException(file + ": input '" + names.timeIds() + "' has " + ids[1]
                        + " values per row, expected 6 (original size, crop top-left, target size)");
            }
        }
        session.output(names.out(), 4);
    }

    Path file() {
        return session.file();
    }

    /** Values per token the denoiser's context takes (-1 if the export leaves it free). */
    int contextWidth() {
        return contextWidth;
    }

    /** Values of the pooled input (0 for SD1/SD2, -1 if free). */
    int pooledWidth() {
        return pooledWidth;
    }

    int channels() {
        return channels;
    }

    @Override
    public int maxBatch() {
        return maxBatch;
    }

    @Override
    public void forward(Tensor input, double timestep, List<Conditioning> cond, Tensor out) {
        int batch = input.batch();
        if (cond.size() != batch) {
            throw new IllegalArgumentException("batch of " + batch + " rows has " + cond.size() + " conditionings");
        }
        SdConditioning[] rows = new SdConditioning[batch];
        for (int b = 0; b < batch; b++) {
            if (!(cond.get(b) instanceof SdConditioning s)) {
                throw new IllegalArgumentException("a Stable Diffusion model needs an encoded prompt for every row"
                        + " (the empty prompt for no conditioning), not " + cond.get(b));
            }
            rows[b] = s;
        }
        int step = timestepPerRow ? maxBatch : Math.min(maxBatch, batch);
        for (int start = 0; start < batch; start += step) {
            run(input, start, Math.min(step, batch - start), timestep, rows, out);
        }
    }

    private void run(Tensor input, int start, int n, double timestep, SdConditioning[] rows, Tensor out) {
        int[] shape = input.shape();
        int row = input.rowSize();
        long[] sampleShape = {n, shape[1], shape[2], shape[3]};
        Map<String, TypedSession.Input> in = new LinkedHashMap<>();
        in.put(names.sample(), TypedSession.Input.of(Arrays.copyOfRange(input.data(), start * row, (start + n) * row),
                sampleShape));
        int tn = timestepRank == 0 || !timestepPerRow ? 1 : n;
        float[] t = new float[tn];
        Arrays.fill(t, (float) timestep);
        in.put(names.timestep(), timestepRank == 0 ? TypedSession.Input.of(t) : TypedSession.Input.of(t, tn));

        int tokens = 1;
        int width = rows[start].width();
        for (int b = start; b < start + n; b++) {
            tokens = lcm(tokens, rows[b].tokens());
            if (rows[b].width() != width) {
                throw new IllegalArgumentException("rows have context widths " + width + " and " + rows[b].width());
            }
        }
        float[] ctx = new float[n * tokens * width];
        for (int b = 0; b < n; b++) {
            float[] c = rows[start + b].context();
            for (int r = 0; r < tokens / rows[start + b].tokens(); r++) {
                System.arraycopy(c, 0, ctx, (b * tokens + r * rows[start + b].tokens()) * width, c.length);
            }
        }
        in.put(names.context(), TypedSession.Input.of(ctx, n, tokens, width));
        if (names.pooled() != null) {
            int p = rows[start].pooled().length;
            float[] pooled = new float[n * p];
            for (int b = 0; b < n; b++) {
                float[] v = rows[start + b].pooled();
                if (v.length != p || p == 0) {
                    throw new IllegalArgumentException(session.file() + ": input '" + names.pooled()
                            + "' needs a pooled text embedding of " + pooledWidth + " values, got " + v.length);
                }
                System.arraycopy(v, 0, pooled, b * p, p);
            }
            in.put(names.pooled(), TypedSession.Input.of(pooled, n, p));
        }
        if (names.timeIds() != null) {
            float h = shape[2] * 8f, w = shape[3] * 8f;
            float[] ids = new float[n * 6];
            for (int b = 0; b < n; b++) {
                System.arraycopy(new float[] {h, w, 0, 0, h, w}, 0, ids, b * 6, 6);
            }
            in.put(names.timeIds(), TypedSession.Input.of(ids, n, 6));
        }
        float[] o = session.run(in, List.of(names.out())).get(names.out()).data();
        if (o.length != n * row) {
            throw new IllegalStateException(session.file() + ": output '" + names.out() + "' has " + o.length
                    + " values, expected the sample's " + n * row);
        }
        System.arraycopy(o, 0, out.data(), start * row, n * row);
    }

    private static int lcm(int a, int b) {
        int x = a, y = b;
        while (y != 0) {
            int r = x % y;
            x = y;
            y = r;
        }
        return a / x * b;
    }
}
