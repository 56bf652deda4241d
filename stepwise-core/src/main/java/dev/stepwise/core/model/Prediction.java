package dev.stepwise.core.model;

/**
 * What a network predicts, and how that becomes the denoised estimate x0 (ComfyUI's EPS,
 * V_PREDICTION, X0 and CONST model-sampling classes).
 */
public enum Prediction {
    /** Noise: D = x - sigma * eps (Ho et al. 2020 in VE form). */
    EPS {
        @Override
        public void toDenoised(float[] x, double sigma, float[] raw, float[] out) {
            float s = (float) sigma;
            for (int i = 0; i < out.length; i++) {
                out[i] = x[i] - s * raw[i];
            }
        }
    },
    /**
     * Velocity v = alpha eps - sigma_vp x0 (Salimans and Ho 2022, eq. in sec. 4); in VE form with
     * sigma_data = 1: D = x / (sigma^2 + 1) - v * sigma / sqrt(sigma^2 + 1).
     */
    V {
        @Override
        public void toDenoised(float[] x, double sigma, float[] raw, float[] out) {
            float a = (float) (1.0 / (sigma * sigma + 1.0));
            float b = (float) (sigma / Math.sqrt(sigma * sigma + 1.0));
            for (int i = 0; i < out.length; i++) {
                out[i] = a * x[i] - b * raw[i];
            }
        }
    },
    /** The clean sample itself. */
    X0 {
        @Override
        public void toDenoised(float[] x, double sigma, float[] raw, float[] out) {
            System.arraycopy(raw, 0, out, 0, out.length);
        }
    },
    /** Rectified flow velocity v = noise - x0 for x = (1 - sigma) x0 + sigma noise: D = x - sigma v. */
    FLOW {
        @Override
        public void toDenoised(float[] x, double sigma, float[] raw, float[] out) {
            EPS.toDenoised(x, sigma, raw, out);
        }
    };

    /** Converts the network's raw output for the (unscaled) input x into the x0 estimate. */
    public abstract void toDenoised(float[] x, double sigma, float[] raw, float[] out);

    /** The name used in configuration files and on the command line. */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Prediction parse(String s) {
        for (Prediction p : values()) {
            if (p.id().equalsIgnoreCase(s) || (p == V && s.equalsIgnoreCase("v_prediction"))) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown prediction type '" + s + "'; allowed: eps, v, x0, flow");
    }
}
