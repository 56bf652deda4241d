package dev.stepwise.cli;

import dev.stepwise.harness.SdGeneration;
import picocli.CommandLine.Option;

/**
 * The image size of a Stable Diffusion run, shared by {@code generate} and {@code bench pipeline} as a picocli
 * mixin: --width and --height, their checks, and the size they give with the model's native size as the default.
 */
final class SizeOptions {
    @Option(names = "--width", paramLabel = "W",
            description = "Image width in pixels, for a Stable Diffusion folder: a multiple of 8. Default: the family's "
                    + "size (SD1 512, SD2-v 768, SDXL and SD3 1024).")
    Integer width;

    @Option(names = "--height", paramLabel = "H",
            description = "Image height in pixels, for a Stable Diffusion folder: a multiple of 8. Default: as --width.")
    Integer height;

    /** Whether either was given. */
    boolean given() {
        return width != null || height != null;
    }

    /** Each given size a multiple of 8 in 8..16384, else one line naming it. */
    void check() {
        check("--width", width);
        check("--height", height);
    }

    /** Width and height: as given, one standing for both, else the model's native size. */
    int[] resolve(int nativeSize) {
        int w = width != null ? width : height != null ? height : nativeSize;
        return new int[] {w, height != null ? height : w};
    }

    private static void check(String option, Integer pixels) {
        if (pixels == null) {
            return;
        }
        try {
            SdGeneration.checkSize(option, pixels);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
