package dev.stepwise.cli;

import dev.stepwise.core.CompatProfile;
import dev.stepwise.core.noise.RandnSource;
import picocli.CommandLine.Option;

/**
 * --compat and --rng, shared by {@code sample} and {@code generate} as a picocli mixin: the UI whose conventions a
 * run follows (CompatProfile) and an override of its generator alone.
 */
final class CompatOptions {

    @Option(names = "--compat", paramLabel = "comfyui|a1111", defaultValue = "comfyui",
            description = "Whose conventions for the same seed and settings: comfyui (one CPU torch.randn over the"
                    + " batch, step noise from a generator seeded SEED + 1, first noise scaled by sqrt(1 + sigma^2),"
                    + " the nearest training timestep, ComfyUI's denoise rule) or a1111 (the NV generator, one"
                    + " generator per image seeded SEED + i that continues into its step noise, first noise scaled"
                    + " by sigma, interpolated timesteps, A1111's denoise rule, its sampler labels in the PNG)."
                    + " Default: ${DEFAULT-VALUE}.")
    String compat;

    @Option(names = "--rng", paramLabel = "cpu|nv",
            description = "The seed's generator: cpu (torch's CPU generator) or nv (A1111's NV Philox generator)."
                    + " Only the generator changes; the noise layout stays the --compat profile's."
                    + " 'stepwise noise' writes the starting noise alone. Default: the profile's (comfyui: cpu,"
                    + " a1111: nv).")
    String rng;

    /** The profile with --rng applied; one line naming a bad value. */
    CompatProfile profile() {
        CompatProfile p;
        try {
            p = CompatProfile.parse(compat);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage());
        }
        if (rng == null) {
            return p;
        }
        try {
            return p.withRng(RandnSource.parse(rng));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--" + e.getMessage());
        }
    }
}
