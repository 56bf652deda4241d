package dev.stepwise.core;

import dev.stepwise.core.model.DiscreteVpSampling;
import dev.stepwise.core.model.ModelSampling;
import dev.stepwise.core.model.NearestTimestepSampling;
import dev.stepwise.core.noise.RandnSource;
import dev.stepwise.core.schedule.Scheduler;
import dev.stepwise.core.schedule.Sigmas;
import java.util.Locale;

/**
 * Compatibility with another UI: every convention in which ComfyUI and A1111 differ for the same seed and settings,
 * collected in one value ({@link #COMFYUI}, the default, and {@link #A1111}). The core applies the noise, timestep
 * and denoise conventions ({@link Stepwise#sample}, {@link #sampling}); stepwise-onnx applies the prompt and clip-skip
 * conventions; the CLI the sampler naming. Where each one comes from is cited on its constant.
 *
 * @param name      the profile's name on the command line and in the PNG ("comfyui", "a1111")
 * @param rng       the generator a seed goes through (the UI's default; {@link #withRng} overrides it, as --rng)
 * @param noise     how a batch's starting noise and the per-step noise are drawn
 * @param firstNoise how the starting noise is scaled to the first sigma of a text-to-image run
 * @param timesteps how a sigma becomes the timestep the network sees
 * @param denoise   which sigmas an img2img run of a given denoising strength walks
 * @param prompts   the prompt syntax, chunking and weighting (stepwise-onnx's PromptProfile of the same name)
 * @param clipSkip  what a clip-skip setting changes
 * @param samplers  how the PNG's infotext names the sampler
 */
public record CompatProfile(String name, RandnSource rng, NoiseLayout noise, FirstNoise firstNoise,
                           TimestepRule timesteps, DenoiseRule denoise, PromptStyle prompts, ClipSkipRule clipSkip,
                           SamplerNaming samplers) {

    /** How a batch's noise is drawn. */
    public enum NoiseLayout {
        /**
         * ComfyUI: one generator seeded with the seed draws the whole batch's starting noise in one call
         * (comfy/sample.py prepare_noise); ancestral step noise comes from a second generator seeded seed + 1, one
         * call of the batch's shape per step (comfy/k_diffusion/sampling.py:78-88 default_noise_sampler: seed += 1
         * on the CPU), and the SDE samplers' Brownian tree is one tree over the batch seeded with the seed
         * (BrownianTreeNoiseSampler).
         */
        BATCH,
        /**
         * A1111: image i of a batch has its own generator seeded seed + i (modules/rng.py ImageRNG: one
         * create_generator per seed of p.all_seeds); its first call is the image's starting noise (ImageRNG.first)
         * and later calls its step noise (ImageRNG.next, through TorchHijack.randn_like in
         * sd_samplers_kdiffusion.py); the SDE samplers get one Brownian tree per image, seeded seed + i
         * (sd_samplers_common.py Sampler.create_noise_sampler: BrownianTreeNoiseSampler(seed=current_iter_seeds)).
         */
        PER_IMAGE
    }

    /** How a text-to-image run's starting noise is scaled. */
    public enum FirstNoise {
        /**
         * ComfyUI's KSampler: by sqrt(1 + sigma^2) when the run starts at sigma_max (comfy/samplers.py
         * KSAMPLER.sample, model_sampling.noise_scaling with max_denoise), else by sigma.
         */
        MAX_DENOISE,
        /**
         * A1111: by sigma_0 (sd_samplers_kdiffusion.py KDiffusionSampler.sample: {@code x = x * sigmas[0]}, the
         * default with opts.sgm_noise_multiplier off); img2img adds {@code noise * sigma_sched[0]} (sample_img2img).
         */
        SIGMA
    }

    /** How a sigma becomes the network's timestep (discrete models; flow models are unaffected). */
    public enum TimestepRule {
        /** ComfyUI: the nearest training step in log sigma (comfy/model_sampling.py ModelSamplingDiscrete.timestep). */
        NEAREST,
        /**
         * A1111: a fractional timestep by linear interpolation between the neighbouring log-sigmas
         * (k-diffusion external.py DiscreteSchedule.sigma_to_t with quantize=False, A1111's default
         * opts.enable_quantization off, sd_samplers_kdiffusion.py CFGDenoiserKDiffusion.inner_model).
         */
        INTERPOLATED;

        /** {@code sampling} with this rule: discrete VP models get ComfyUI's nearest step or keep their interpolation. */
        public ModelSampling apply(ModelSampling sampling) {
            if (sampling instanceof NearestTimestepSampling n) {
                sampling = n.inner();
            }
            return this == NEAREST && sampling instanceof DiscreteVpSampling ? new NearestTimestepSampling(sampling)
                    : sampling;
        }
    }

    /** Which sigmas an img2img run of denoising strength d below 1 walks. */
    public enum DenoiseRule {
        /**
         * ComfyUI: the last steps + 1 sigmas of a schedule of int(steps / d) steps, so the run takes the requested
         * steps (comfy/samplers.py KSampler.set_steps).
         */
        COMFYUI,
        /**
         * A1111: a schedule of {@code steps} steps of which the last int(min(d, 0.999) * steps) + 1 run
         * (sd_samplers_common.py setup_img2img_steps with opts.img2img_fix_steps off, then
         * sd_samplers_kdiffusion.py sample_img2img: {@code sigma_sched = sigmas[steps - t_enc - 1:]}).
         */
        A1111;

        /** The sigmas a run of {@code steps} steps at this denoising strength walks under this rule. */
        public double[] sigmas(Scheduler scheduler, ModelSampling sampling, int steps, double denoise,
                               boolean discardPenultimate) {
            return this == A1111 ? Sigmas.forRunA1111(scheduler, sampling, steps, denoise, discardPenultimate)
                    : Sigmas.forRun(scheduler, sampling, steps, denoise, discardPenultimate);
        }
    }

    /** The prompt conventions; stepwise-onnx's {@code PromptProfile} of the same name implements them. */
    public enum PromptStyle {
        /** ComfyUI's syntax, windows and weighting (interpolation from the empty prompt's encoding). */
        COMFYUI,
        /** A1111's syntax, windows and weighting (scale the token vectors, then restore each window's mean). */
        A1111
    }

    /** What a clip-skip setting N (1 = the last layer, 2 = the one before, A1111's numbering) changes. */
    public enum ClipSkipRule {
        /**
         * ComfyUI's CLIPSetLastLayer(-N): every CLIP text encoder of the model gives its hidden states after layer
         * -N (comfy/sd1_clip.py SDClipModel.set_clip_options), with the final layer norm where the family's encoder
         * applies it to intermediate layers (layer_norm_hidden_state: SD1 and SD2 yes, SDXL and SD3 no).
         */
        EVERY_ENCODER,
        /**
         * A1111's "Clip skip": only SD1's encoder, hidden_states[-N] through the final layer norm
         * (modules/sd_hijack_clip.py FrozenCLIPEmbedderWithCustomWords.encode_with_transformers); SD2's and SDXL's
         * encoders ignore it (their encode_with_transformers use a fixed layer).
         */
        SD1_ONLY
    }

    /** How the PNG's infotext names the sampler. */
    public enum SamplerNaming {
        /** ComfyUI's sampler names ("dpmpp_2m"), as its KSampler takes them. */
        COMFYUI,
        /** A1111's labels where one exists ("DPM++ 2M"), so that A1111's PNG Info sends the same sampler back. */
        A1111
    }

    /** ComfyUI's conventions: the default. */
    public static final CompatProfile COMFYUI = new CompatProfile("comfyui", RandnSource.CPU, NoiseLayout.BATCH,
            FirstNoise.MAX_DENOISE, TimestepRule.NEAREST, DenoiseRule.COMFYUI, PromptStyle.COMFYUI,
            ClipSkipRule.EVERY_ENCODER, SamplerNaming.COMFYUI);

    /** A1111's conventions, with its default NV generator (modules/shared_options.py randn_source "GPU"/"NV"). */
    public static final CompatProfile A1111 = new CompatProfile("a1111", RandnSource.NV, NoiseLayout.PER_IMAGE,
            FirstNoise.SIGMA, TimestepRule.INTERPOLATED, DenoiseRule.A1111, PromptStyle.A1111, ClipSkipRule.SD1_ONLY,
            SamplerNaming.A1111);

    /** The profile of a command-line name ("comfyui", "a1111", any case); one line naming the value otherwise. */
    public static CompatProfile parse(String name) {
        String key = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        return switch (key) {
            case "comfyui" -> COMFYUI;
            case "a1111" -> A1111;
            default -> throw new IllegalArgumentException("compat '" + name + "' is not known; use comfyui (ComfyUI's"
                    + " conventions, the default) or a1111 (AUTOMATIC1111's)");
        };
    }

    /** This profile with another generator (the --rng override); the other conventions stay the profile's. */
    public CompatProfile withRng(RandnSource source) {
        return new CompatProfile(name, source, noise, firstNoise, timesteps, denoise, prompts, clipSkip, samplers);
    }

    /** Whether the generator is the profile's own (no --rng override). */
    public boolean defaultRng() {
        return rng == parse(name).rng;
    }
}
