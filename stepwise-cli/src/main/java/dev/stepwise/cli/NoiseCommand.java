package dev.stepwise.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.io.AtomicFiles;
import dev.stepwise.core.io.Npy;
import dev.stepwise.core.noise.RandnSource;
import dev.stepwise.core.tensor.Tensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code stepwise noise}: the starting noise a run with this seed draws (before it is scaled to the first sigma),
 * written as float32 .npy with a JSON sidecar. It is {@link Stepwise#startingNoise}, the call {@code sample} and
 * {@code generate} make, so the file is exactly what they start from for the same seed, --rng and shape.
 */
@Command(name = "noise", mixinStandardHelpOptions = true, versionProvider = Version.class, sortOptions = false,
        description = "Write the starting noise of a seed as .npy (float32, the given shape) plus OUT.json.",
        footer = {"", "cpu: torch.manual_seed(SEED); torch.randn(SHAPE) on the CPU, bit for bit (ComfyUI's noise).",
                "nv: A1111's NV source, Generator(SEED).randn(SHAPE) of modules/rng_philox.py, bit for bit.",
                "Exit codes: 0 done, 1 a failure while writing, 2 bad input (nothing written).", "",
                "Example:", "  stepwise noise --rng cpu --seed 42 --shape 1,4,64,64 --out noise.npy"})
final class NoiseCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--rng", paramLabel = "cpu|nv", defaultValue = "cpu",
            description = "The seed's generator: cpu (torch's CPU generator, as ComfyUI) or nv (A1111's NV Philox "
                    + "generator, which imitates torch's CUDA randn). Default: ${DEFAULT-VALUE}.")
    String rng;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "The seed, -2^63 .. 2^64 - 1 (above 2^63 - 1 as torch and Python take it). Default: ${DEFAULT-VALUE}.")
    String seed;

    @Option(names = "--shape", paramLabel = "D1,D2,...", required = true,
            description = "The noise's shape, positive sizes separated by commas, e.g. 1,4,64,64 (batch first).")
    String shape;

    @Option(names = "--out", paramLabel = "FILE.npy", required = true,
            description = "Output .npy file; FILE.npy.json gets the parameters." + Outputs.FILE_RULE)
    Path out;

    @Override
    public Integer call() throws IOException {
        RandnSource source = RandnSource.parse(rng);
        long s = parseSeed(seed);
        int[] dims = parseShape(shape);
        Outputs.checkFile("--out", out, "noise.npy");
        Outputs.checkFile("--out's sidecar", SampleCommand.sidecar(out), "noise.npy.json");
        long count = Arrays.stream(dims).asLongStream().reduce(1, (a, b) -> a * b);
        long needed = 8 * count, max = Runtime.getRuntime().maxMemory(); // the values and their .npy bytes
        if (needed > max) {
            throw new UsageException(String.format(Locale.ROOT, "--shape '%s' needs about %.1f GiB of memory, more than "
                    + "the %.1f GiB Java may use; give a smaller shape or more memory (STEPWISE_JAVA_OPTS=-Xmx%dg)",
                    shape, needed / (double) (1L << 30), max / (double) (1L << 30), needed / (1L << 30) + 2));
        }
        float[] values = new float[(int) count];
        long start = System.nanoTime();
        Stepwise.startingNoise(source, s, values);
        double ms = (System.nanoTime() - start) / 1e6;
        LinkedHashMap<Path, byte[]> files = new LinkedHashMap<>();
        files.put(out, Npy.encode(Tensor.wrap(values, dims)));
        files.put(SampleCommand.sidecar(out), sidecar(source, s, dims));
        try {
            AtomicFiles.write(files);
        } catch (IOException e) {
            throw new IOException("cannot write " + out + ": " + e, e);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.printf(Locale.ROOT, "%s noise, seed %s, shape %s: %d values in %.1f ms -> %s%n", source.cliName(),
                Long.toUnsignedString(s).equals(seed.trim()) ? seed.trim() : Long.toString(s),
                Arrays.toString(dims), values.length, ms, out);
        stdout.flush();
        return 0;
    }

    /** A seed as torch and Python take it: any long, or an unsigned 64-bit value above Long.MAX_VALUE. */
    static long parseSeed(String text) {
        String t = text.trim();
        try {
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            try {
                return Long.parseUnsignedLong(t);
            } catch (NumberFormatException e2) {
                throw new UsageException("--seed '" + text + "' is not allowed; give an integer from -2^63 to 2^64 - 1");
            }
        }
    }

    /** Positive sizes separated by commas, whose product one array holds. */
    static int[] parseShape(String text) {
        String[] parts = text.trim().split("\\s*,\\s*", -1);
        int[] dims = new int[parts.length];
        long total = 1;
        for (int i = 0; i < parts.length; i++) {
            try {
                dims[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                dims[i] = 0;
            }
            if (dims[i] < 1) {
                throw new UsageException("--shape '" + text + "' is not allowed; give positive sizes separated by "
                        + "commas, e.g. 1,4,64,64");
            }
            total *= dims[i];
            if (total > Stepwise.MAX_VALUES) {
                throw new UsageException("--shape '" + text + "' has more than " + Stepwise.MAX_VALUES
                        + " values, more than one array holds; give a smaller shape");
            }
        }
        return dims;
    }

    private byte[] sidecar(RandnSource source, long s, int[] dims) throws IOException {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("stepwise_version", Version.get());
        j.put("rng", source.cliName());
        j.put("generator", switch (source) {
            case CPU -> "torch CPU: torch.manual_seed(seed); torch.randn(shape) (MT19937, torch's AVX2 Box-Muller)";
            case NV -> "A1111 NV: modules/rng_philox.py Generator(seed).randn(shape) (Philox4x32-10)";
        });
        j.put("seed", s);
        j.put("seed_unsigned", Long.toUnsignedString(s));
        j.put("shape", dims);
        j.put("dtype", "float32");
        j.put("output", out.getFileName().toString());
        j.put("command", "stepwise " + Main.quoted(spec.commandLine().getParseResult().originalArgs()));
        String text = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(j);
        return (text + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
