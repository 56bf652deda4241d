package dev.stepwise.core;

import dev.stepwise.core.guidance.Conditions;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.noise.RandnSource;
import dev.stepwise.core.sampling.StepListener;
import dev.stepwise.core.schedule.Scheduler;
import dev.stepwise.core.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Everything that decides a run's result: model, sampler and its parameters, scheduler (a registry name, a
 * {@link Scheduler} object such as a fixed list, or an explicit sigma list), steps, denoise strength, guidance,
 * conditioning, seed and batch. Build with {@link #builder(Model)}; defaults are euler / normal / 20 steps /
 * cfg 1 / seed 0 / batch 1.
 *
 * @param schedulerObject a scheduler given as an object instead of the registry name {@code scheduler}, or null
 * @param compat          the UI whose conventions the run follows (noise, first-noise scaling, denoise rule), with
 *                        its generator; null means {@link CompatProfile#COMFYUI}
 * @param latentImage     the model-space latent an img2img run starts from ([batch, sample shape]), or null
 */
public record SampleRequest(Model model, String sampler, Map<String, Object> samplerParameters,
                            String scheduler, Map<String, Object> schedulerParameters, Scheduler schedulerObject,
                            double[] sigmas, int steps, double denoise, double cfg, boolean batchCondUncond,
                            Conditions conditions, long seed, int batch, Tensor initialNoise, Tensor latentImage,
                            NoiseKind noise, CompatProfile compat, StepListener listener) {

    /** Where ancestral and SDE samplers get their per-step noise. */
    public enum NoiseKind {
        /** What the sampler uses by default: a Brownian tree for k-diffusion's SDE samplers, else SEQUENTIAL. */
        DEFAULT,
        /** The seed's generator continued after the initial noise (torch.randn calls in sequence). */
        SEQUENTIAL,
        /** Increments of a Brownian tree over the run's sigma range, seeded from the request seed. */
        BROWNIAN
    }

    public SampleRequest {
        Objects.requireNonNull(model, "model");
        samplerParameters = Map.copyOf(samplerParameters);
        schedulerParameters = Map.copyOf(schedulerParameters);
        sigmas = sigmas == null ? null : sigmas.clone();
    }

    public static Builder builder(Model model) {
        return new Builder(model);
    }

    @Override
    public double[] sigmas() {
        return sigmas == null ? null : sigmas.clone();
    }

    public static final class Builder {
        private final Model model;
        private String sampler = "euler";
        private final Map<String, Object> samplerParameters = new LinkedHashMap<>();
        private String scheduler = "normal";
        private final Map<String, Object> schedulerParameters = new LinkedHashMap<>();
        private Scheduler schedulerObject;
        private double[] sigmas;
        private int steps = 20;
        private double denoise = 1;
        private double cfg = 1;
        private boolean batchCondUncond = true;
        private Conditioning positive = Conditioning.NONE;
        private Conditioning negative = Conditioning.NONE;
        private Conditions conditions;
        private long seed;
        private int batch = 1;
        private Tensor initialNoise;
        private Tensor latentImage;
        private NoiseKind noise = NoiseKind.DEFAULT;
        private CompatProfile compat = CompatProfile.COMFYUI;
        private RandnSource rng;   // an override of the profile's generator, or null
        private StepListener listener = StepListener.NONE;

        private Builder(Model model) {
            this.model = model;
        }

        public Builder sampler(String name) {
            sampler = name;
            return this;
        }

        public Builder samplerParameter(String name, Object value) {
            samplerParameters.put(name, value);
            return this;
        }

        public Builder samplerParameters(Map<String, ?> values) {
            samplerParameters.putAll(values);
            return this;
        }

        public Builder scheduler(String name) {
            scheduler = name;
            schedulerObject = null;
            return this;
        }

        /**
         * A scheduler object instead of a registry name (a fitted list: {@code ListScheduler}); it takes no
         * scheduler parameters. Steps, denoise and the sampler's conventions apply to it as to a named one.
         */
        public Builder scheduler(Scheduler s) {
            schedulerObject = Objects.requireNonNull(s, "scheduler");
            return this;
        }

        public Builder schedulerParameter(String name, Object value) {
            schedulerParameters.put(name, value);
            return this;
        }

        public Builder schedulerParameters(Map<String, ?> values) {
            schedulerParameters.putAll(values);
            return this;
        }

        /** An explicit sigma list (decreasing, usually ending in 0); overrides scheduler and steps. */
        public Builder sigmas(double... s) {
            sigmas = s.clone();
            return this;
        }

        public Builder steps(int n) {
            steps = n;
            return this;
        }

        public Builder denoise(double d) {
            denoise = d;
            return this;
        }

        public Builder cfg(double scale) {
            cfg = scale;
            return this;
        }

        /** Run cond and uncond as one network call of twice the batch (default true). */
        public Builder batchCondUncond(boolean b) {
            batchCondUncond = b;
            return this;
        }

        public Builder prompt(Conditioning positive) {
            this.positive = positive;
            return this;
        }

        public Builder negative(Conditioning negative) {
            this.negative = negative;
            return this;
        }

        /** Per-row conditioning; overrides prompt/negative. */
        public Builder conditions(Conditions c) {
            conditions = c;
            return this;
        }

        public Builder seed(long s) {
            seed = s;
            return this;
        }

        public Builder batch(int b) {
            batch = b;
            return this;
        }

        /** Standard-normal starting noise of shape [batch, sample shape...] instead of the seed's. */
        public Builder initialNoise(Tensor t) {
            initialNoise = t;
            return this;
        }

        /**
         * img2img: the run starts from this latent (in the model's space, [batch, sample shape]) noised to the first
         * sigma, x = latent + sigma * noise (flow: (1 - sigma) latent + sigma noise), as ComfyUI's KSampler does with
         * a LATENT input; use with {@link #denoise} below 1.
         */
        public Builder latentImage(Tensor t) {
            latentImage = t;
            return this;
        }

        public Builder noise(NoiseKind kind) {
            noise = kind;
            return this;
        }

        /**
         * The seed's generator instead of the profile's: torch's CPU one (ComfyUI's) or A1111's NV Philox one. How the
         * noise is laid out over the batch and the steps stays the profile's.
         */
        public Builder rng(RandnSource source) {
            rng = source;
            return this;
        }

        /** The UI whose conventions the run follows (default {@link CompatProfile#COMFYUI}); see {@link #rng}. */
        public Builder compat(CompatProfile profile) {
            compat = Objects.requireNonNull(profile, "compat");
            return this;
        }

        public Builder listener(StepListener l) {
            listener = l;
            return this;
        }

        public SampleRequest build() {
            Conditions c = conditions != null ? conditions : Conditions.of(positive, negative, batch);
            return new SampleRequest(model, sampler, samplerParameters, scheduler, schedulerParameters, schedulerObject,
                    sigmas, steps, denoise, cfg, batchCondUncond, c, seed, batch, initialNoise, latentImage, noise,
                    rng == null ? compat : compat.withRng(rng), listener);
        }
    }

    /** The profile, never null. */
    public CompatProfile compatOrDefault() {
        return compat == null ? CompatProfile.COMFYUI : compat;
    }

    /** The seed's generator, never null: the profile's, or the override given to the builder. */
    public RandnSource rngOrCpu() {
        return compatOrDefault().rng();
    }

    /** The step listener, never null. */
    public StepListener listenerOrNone() {
        return listener == null ? StepListener.NONE : listener;
    }
}
