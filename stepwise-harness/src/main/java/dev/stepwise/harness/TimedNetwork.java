package dev.stepwise.harness;

import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Network;
import dev.stepwise.core.tensor.Tensor;
import java.util.List;

/**
 * A network that counts what goes through it: calls, batch rows (cond and uncond rows alike) and the
 * wall time spent inside {@link Network#forward}, to report rows per run and the share of time spent
 * outside the network. One per run: the counters are not synchronised.
 */
public final class TimedNetwork implements Network {
    private final Network inner;
    private long calls;
    private long rows;
    private long nanos;

    public TimedNetwork(Network inner) {
        this.inner = inner;
    }

    @Override
    public void forward(Tensor input, double timestep, List<Conditioning> cond, Tensor out) {
        long t0 = System.nanoTime();
        inner.forward(input, timestep, cond, out);
        nanos += System.nanoTime() - t0;
        calls++;
        rows += input.batch();
    }

    @Override
    public int maxBatch() {
        return inner.maxBatch();
    }

    public long calls() {
        return calls;
    }

    public long rows() {
        return rows;
    }

    public long nanos() {
        return nanos;
    }

    public void reset() {
        calls = 0;
        rows = 0;
        nanos = 0;
    }
}
