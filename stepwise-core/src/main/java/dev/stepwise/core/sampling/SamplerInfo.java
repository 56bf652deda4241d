package dev.stepwise.core.sampling;

import dev.stepwise.core.param.Options;
import dev.stepwise.core.param.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * A sampler's entry in the registry: its ecosystem name and the facts users compare samplers by. The
 * tests check these facts against behaviour (measured order, counted NFE, stochasticity), so what
 * {@code stepwise list samplers} prints cannot drift from what the code does.
 *
 * @param order               order of accuracy of the deterministic solver (for stochastic samplers:
 *                            that of their probability-flow ODE counterpart at eta = 0)
 * @param callsPerStep        model evaluations per step
 * @param finalStepSingleCall true when the step onto sigma = 0 is a single-call Euler step
 * @param stochastic          adds fresh noise during sampling (with default parameters)
 * @param discardPenultimate  the reference UI builds steps + 1 sigmas and drops the second-to-last
 * @param brownianNoise       draws its step noise from a Brownian tree by default (k-diffusion's SDE samplers)
 * @param adaptive            chooses its own steps (error control): the model calls depend on the solve
 * @param cfgPp               a CFG++ sampler (Chung et al. 2024): it renoises along the unconditional prediction,
 *                            lands on the guided one, and takes a guidance scale of about 0-2 (not CFG's 5-10)
 * @param nfeRule             exact model calls for a sigma list when not callsPerStep per step (null: that rule)
 * @param reference           paper and equation the update rule comes from
 */
public record SamplerInfo(String name, String description, int order, int callsPerStep, boolean finalStepSingleCall,
                          boolean stochastic, boolean discardPenultimate, boolean brownianNoise, boolean adaptive, boolean cfgPp,
                          ToLongFunction<double[]> nfeRule, String reference,
                          List<Parameter> parameters, Function<Options, Sampler> factory) {

    public SamplerInfo {
        Objects.requireNonNull(name);
        parameters = List.copyOf(parameters);
    }

    /** The same sampler (facts, parameters, factory) under another name, e.g. a compatibility alias. */
    public SamplerInfo alias(String aliasName, String aliasDescription, String aliasReference) {
        return new SamplerInfo(aliasName, aliasDescription, order, callsPerStep, finalStepSingleCall, stochastic,
                discardPenultimate, brownianNoise, adaptive, cfgPp, nfeRule, aliasReference, parameters, factory);
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** A sampler with its parameters checked against the declared ranges. */
    public Sampler create(Map<String, ?> parameterValues) {
        return factory.apply(options(parameterValues));
    }

    public Sampler create() {
        return create(Map.of());
    }

    public Options options(Map<String, ?> parameterValues) {
        return Options.resolve("sampler " + name, parameters, parameterValues);
    }

    /** The model evaluations a run over this sigma list makes. */
    public long expectedNfe(double[] sigmas) {
        if (adaptive) {
            throw new UnsupportedOperationException("sampler " + name + " is adaptive: its model calls depend on the solve");
        }
        if (nfeRule != null) {
            return nfeRule.applyAsLong(sigmas);
        }
        long steps = sigmas.length - 1L;
        long n = steps * callsPerStep;
        if (finalStepSingleCall && steps > 0 && sigmas[sigmas.length - 1] == 0) {
            n -= callsPerStep - 1;
        }
        return n;
    }

    public static final class Builder {
        private final String name;
        private String description = "";
        private int order = 1;
        private int callsPerStep = 1;
        private boolean finalStepSingleCall;
        private boolean stochastic;
        private boolean discardPenultimate;
        private boolean brownianNoise;
        private boolean adaptive;
        private boolean cfgPp;
        private ToLongFunction<double[]> nfeRule;
        private String reference = "";
        private final List<Parameter> parameters = new ArrayList<>();

        private Builder(String name) {
            this.name = name;
        }

        public Builder description(String d) {
            description = d;
            return this;
        }

        public Builder order(int o) {
            order = o;
            return this;
        }

        /** Model evaluations per step; {@code finalStepSingleCall} when the last step onto 0 is one Euler call. */
        public Builder calls(int perStep, boolean finalStepSingleCall) {
            callsPerStep = perStep;
            this.finalStepSingleCall = finalStepSingleCall;
            return this;
        }

        public Builder stochastic(boolean s) {
            stochastic = s;
            return this;
        }

        public Builder discardPenultimate() {
            discardPenultimate = true;
            return this;
        }

        /** Step noise comes from a Brownian tree unless the request says otherwise (k-diffusion's SDE samplers). */
        public Builder brownianNoise() {
            brownianNoise = true;
            return this;
        }

        /** The sampler picks its own steps; {@link #expectedNfe} does not apply (the run reports what it used). */
        public Builder adaptive() {
            adaptive = true;
            return this;
        }

        /** A CFG++ sampler: it uses the unconditional prediction; guidance scale range about 0-2. */
        public Builder cfgPp() {
            cfgPp = true;
            return this;
        }

        /** The exact model calls for a sigma list, for samplers whose count is not callsPerStep per step. */
        public Builder nfeRule(ToLongFunction<double[]> rule) {
            nfeRule = rule;
            return this;
        }

        public Builder reference(String r) {
            reference = r;
            return this;
        }

        public Builder parameters(List<Parameter> ps) {
            parameters.addAll(ps);
            return this;
        }

        public Builder parameter(Parameter p) {
            parameters.add(p);
            return this;
        }

        public SamplerInfo create(Function<Options, Sampler> factory) {
            return new SamplerInfo(name, description, order, callsPerStep, finalStepSingleCall, stochastic,
                    discardPenultimate, brownianNoise, adaptive, cfgPp, nfeRule, reference, parameters, factory);
        }
    }
}
