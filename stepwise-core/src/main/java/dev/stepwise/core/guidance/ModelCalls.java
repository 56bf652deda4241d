package dev.stepwise.core.guidance;

/**
 * Model-call accounting for one run. {@code nfe} counts the sampler's evaluations of the (guided)
 * model, the figure samplers are compared by; each evaluation runs a conditional pass and, unless
 * cfg = 1, an unconditional pass; {@code networkCalls} counts actual invocations of the network, where
 * cond and uncond batched together make one call.
 */
public record ModelCalls(long nfe, long condPasses, long uncondPasses, long networkCalls) {

    public static final ModelCalls NONE = new ModelCalls(0, 0, 0, 0);

    public ModelCalls plus(ModelCalls o) {
        return new ModelCalls(nfe + o.nfe, condPasses + o.condPasses, uncondPasses + o.uncondPasses,
                networkCalls + o.networkCalls);
    }

    /** A mutable counter, one per run. */
    public static final class Counter {
        private long nfe;
        private long cond;
        private long uncond;
        private long network;

        public void evaluation() {
            nfe++;
        }

        public void passes(int condPasses, int uncondPasses, int networkCalls) {
            cond += condPasses;
            uncond += uncondPasses;
            network += networkCalls;
        }

        public ModelCalls snapshot() {
            return new ModelCalls(nfe, cond, uncond, network);
        }
    }
}
