package dev.stepwise.harness;

import dev.stepwise.core.analytic.GaussianMixture;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import java.util.ArrayList;
import java.util.List;

/**
 * An exact Gaussian mixture as the plan's model. Prompts are mixture labels ("3"), "" is unconditional. The
 * exact denoiser keeps no state, so all workers share it.
 *
 * @param name    as reports show it ("gmm-ring")
 * @param mixture the mixture
 * @param key     name and a digest of the spec, for cell ids
 */
public record MixtureSource(String name, GaussianMixture mixture, String key) implements ModelSource {

    @Override
    public int[] sampleShape() {
        return new int[] {mixture.dim()};
    }

    @Override
    public List<String> vocabulary() {
        List<String> v = new ArrayList<>();
        for (int k = 0; k < mixture.labelCount(); k++) {
            v.add(Integer.toString(k));
        }
        return v;
    }

    @Override
    public Conditioning parse(String text, String where) {
        String t = text.strip();
        if (t.isEmpty()) {
            return Conditioning.NONE;
        }
        String allowed = mixture.labelCount() == 0 ? "this mixture has no labels, so only \"\" (unconditional) is allowed"
                : "allowed: a label 0.." + (mixture.labelCount() - 1) + " or \"\" (unconditional)";
        int label;
        try {
            label = Integer.parseInt(t);
        } catch (NumberFormatException e) {
            throw new PlanException(where + ": prompt '" + text + "' is not a label of " + name + "; " + allowed);
        }
        if (label < 0 || label >= mixture.labelCount()) {
            throw new PlanException(where + ": label " + label + " is not a label of " + name + "; " + allowed);
        }
        Conditioning c = Conditioning.label(label, mixture.labelCount());
        try {
            mixture.weightsFor(c);
        } catch (IllegalArgumentException e) {
            throw new PlanException(where + ": " + e.getMessage());
        }
        return c;
    }

    @Override
    public Model model(CallTimer timer) {
        Model m = mixture.model(name);
        return new Model(name, ModelSource.timed(m.denoiser(), timer), m.sampling(), m.sampleShape());
    }

    @Override
    public void close() {
    }
}
