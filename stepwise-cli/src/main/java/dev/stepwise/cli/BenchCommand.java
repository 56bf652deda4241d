package dev.stepwise.cli;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.model.Conditioning;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.model.NetworkDenoiser;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.onnx.ImageModel;
import dev.stepwise.onnx.ModelConfig;
import dev.stepwise.onnx.OnnxOptions;
import dev.stepwise.onnx.OnnxSessions;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code stepwise bench}: timings of whole runs (not run by the tests). */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "Benchmarks of whole runs.", subcommands = BenchCommand.Generate.class)
final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "give a benchmark: generate");
    }

    /**
     * {@code stepwise bench generate}: images per second of the image model at cfg 1 and 3, batch 1 and 16;
     * the share of each run's wall time spent outside the network's forward; and cond/uncond rows run as one
     * batched network call against two separate calls.
     */
    @Command(name = "generate", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
            description = "Time 'generate' on an image model: images/s at cfg 1 and 3, batch 1 and 16, the share of time "
                    + "outside the network, and batched cond/uncond against two separate network calls.")
    static final class Generate implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--model", paramLabel = "NAME|DIR", defaultValue = "fashion-eps",
                description = "Model name under models/ or a model folder. Default: ${DEFAULT-VALUE}.")
        String model;

        @Option(names = "--sampler", paramLabel = "NAME", defaultValue = "euler", description = "Default: ${DEFAULT-VALUE}.")
        String sampler;

        @Option(names = "--scheduler", paramLabel = "NAME", defaultValue = "karras", description = "Default: ${DEFAULT-VALUE}.")
        String scheduler;

        @Option(names = "--steps", paramLabel = "N", defaultValue = "20", description = "Default: ${DEFAULT-VALUE}.")
        int steps;

        @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "sneaker", description = "Default: ${DEFAULT-VALUE}.")
        String prompt;

        @Option(names = "--seconds", paramLabel = "T", defaultValue = "3",
                description = "Measured time per configuration, after one warm-up run (> 0). Default: ${DEFAULT-VALUE}.")
        double seconds;

        @Option(names = "--device", paramLabel = "D", defaultValue = "cpu", description = "cpu or cuda. Default: ${DEFAULT-VALUE}.")
        String device;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
                description = "ONNX Runtime intra-op threads (0 = automatic). Default: ${DEFAULT-VALUE}.")
        int threads;

        @Override
        public Integer call() {
            SamplingOptions.checkSteps(steps);
            if (!(seconds > 0) || Double.isInfinite(seconds)) {
                throw new UsageException("--seconds " + seconds + " is not allowed; give a time > 0");
            }
            if (threads < 0) {
                throw new UsageException("--threads " + threads + " is not allowed; threads must be >= 0 (0 = automatic)");
            }
            OnnxOptions.Device d = OnnxOptions.Device.parse(device);
            if (d == OnnxOptions.Device.CUDA && !OnnxSessions.cudaAvailable()) {
                throw new UsageException("--device cuda: " + OnnxSessions.CUDA_UNAVAILABLE);
            }
            PrintWriter out = spec.commandLine().getOut();
            try (ImageModel image = ImageModel.load(ModelFolders.resolve(model),
                    OnnxOptions.defaults().withThreads(threads).withDevice(d))) {
                ModelConfig c = image.config();
                TimedNetwork network = new TimedNetwork(image.network());
                Model m = new Model(c.name(), new NetworkDenoiser(network, c.sampling()), c.sampling(), c.sampleShape());
                Conditioning positive = image.prompt(prompt);
                out.printf(Locale.ROOT, "model %s, %s/%s, %d steps, prompt \"%s\", device %s, intra-op threads %s, %d cores, "
                                + "%.1f s per row%n", c.name(), sampler, scheduler, steps, prompt, d.id(),
                        threads == 0 ? "auto" : Integer.toString(threads), Runtime.getRuntime().availableProcessors(), seconds);
                out.printf("%-4s %-6s %-10s %-10s %-9s %-12s %s%n", "cfg", "batch", "cond+unc", "images/s", "ms/image",
                        "net ms/run", "outside network");
                double[][] perRun = new double[2][2];
                int[] batches = {1, 16};
                for (double cfg : new double[] {1, 3}) {
                    for (int bi = 0; bi < batches.length; bi++) {
                        Timing t = time(m, network, positive, cfg, batches[bi], true);
                        out.printf(Locale.ROOT, "%-4s %-6d %-10s %-10.1f %-9.2f %-12.2f %.1f%%%n", GenerateCommand.plain(cfg),
                                batches[bi], cfg == 1 ? "-" : "batched", batches[bi] / t.seconds(),
                                1000 * t.seconds() / batches[bi], 1000 * t.networkSeconds(),
                                100 * (1 - t.networkSeconds() / t.seconds()));
                        out.flush();
                        if (cfg == 3) {
                            perRun[bi][0] = t.seconds();
                        }
                    }
                }
                for (int bi = 0; bi < batches.length; bi++) {
                    Timing t = time(m, network, positive, 3, batches[bi], false);
                    out.printf(Locale.ROOT, "%-4s %-6d %-10s %-10.1f %-9.2f %-12.2f %.1f%%%n", "3", batches[bi], "separate",
                            batches[bi] / t.seconds(), 1000 * t.seconds() / batches[bi], 1000 * t.networkSeconds(),
                            100 * (1 - t.networkSeconds() / t.seconds()));
                    perRun[bi][1] = t.seconds();
                }
                for (int bi = 0; bi < batches.length; bi++) {
                    out.printf(Locale.ROOT, "cfg 3, batch %d: two separate cond/uncond calls take %.2fx the time of one "
                            + "batched call%n", batches[bi], perRun[bi][1] / perRun[bi][0]);
                }
                out.flush();
            }
            return 0;
        }

        /** Seconds per run and seconds per run inside the network, averaged over the measured runs. */
        record Timing(double seconds, double networkSeconds) {
        }

        private Timing time(Model m, TimedNetwork network, Conditioning positive, double cfg, int batch, boolean batched) {
            SampleRequest request = SampleRequest.builder(m).sampler(sampler).scheduler(scheduler).steps(steps).cfg(cfg)
                    .batch(batch).seed(1).prompt(positive).batchCondUncond(batched).build();
            Stepwise.sample(request); // warm-up
            network.reset();
            long start = System.nanoTime(), end;
            int runs = 0;
            do {
                Stepwise.sample(request);
                runs++;
                end = System.nanoTime();
            } while (end - start < seconds * 1e9);
            return new Timing((end - start) / 1e9 / runs, network.nanos() / 1e9 / runs);
        }
    }
}
