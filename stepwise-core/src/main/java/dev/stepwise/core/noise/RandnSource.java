package dev.stepwise.core.noise;

import java.util.Locale;

/**
 * Which generator turns a seed into a run's noise: A1111's "Random number generator source" setting, where ComfyUI has
 * only the first.
 */
public enum RandnSource {
    /** torch's CPU generator ({@link TorchGenerator}): ComfyUI's noise, and A1111's "CPU". */
    CPU,
    /**
     * A1111's "NV" ({@link PhiloxGenerator}): torch's CUDA randn imitated on the CPU, so that a seed gives an NVIDIA
     * card's starting noise on any machine.
     */
    NV;

    /** The name used on the command line and in sidecars: "cpu" or "nv". */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The source of a command-line name ("cpu", "nv", any case). */
    public static RandnSource parse(String name) {
        for (RandnSource s : values()) {
            if (s.cliName().equalsIgnoreCase(name.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException("rng '" + name + "' is not known; use cpu (torch's CPU generator, ComfyUI) "
                + "or nv (A1111's NV Philox generator)");
    }

    /** The generator whose first call gives a run's starting noise for this seed. */
    public RandnGenerator generator(long seed) {
        return switch (this) {
            case CPU -> new TorchGenerator(seed);
            case NV -> new PhiloxGenerator(seed);
        };
    }
}
