package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.io.Npy;
import dev.stepwise.core.tensor.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Numbers that used to end silently or badly: non-finite and overflowing input (cfg 1e300 made black images with
 * exit 0), runs whose state goes NaN, sizes that ran out of memory or hung, parameters printed as inf but refused
 * as input, and the plan default of cfg. Each bad case is exit 2 with one line naming the value and what is
 * allowed (for a size: the limit and the flag that raises it) and no output file, checked on sample, generate
 * (the tiny-eps fixture model) and compare.
 */
@ExtendWith(FixtureModels.class)
class NumericInputTest {
    @TempDir
    Path dir;


    @BeforeEach
    void fixtures() throws IOException {
        Files.writeString(dir.resolve("std1e300.json"),
                "{\"dim\": 2, \"components\": [{\"weight\": 1, \"mean\": [0, 0], \"std\": 1e300}]}");
        Files.writeString(dir.resolve("mean1e300.json"),
                "{\"dim\": 2, \"components\": [{\"weight\": 1, \"mean\": [1e300, 0], \"std\": 1}]}");
        Files.writeString(dir.resolve("weights.json"), "{\"dim\": 2, \"components\": [{\"weight\": 1e308, \"mean\": [0, 0],"
                + " \"std\": 1}, {\"weight\": 1e308, \"mean\": [1, 0], \"std\": 1}]}");
        Files.writeString(dir.resolve("sigma-max.json"),
                "{\"dim\": 2, \"components\": [{\"weight\": 1, \"mean\": [0, 0], \"std\": 1}], \"sigma_max\": 1e300}");
        Npy.write(Tensor.wrap(new float[] {0.5f, Float.NaN}, 1, 2), dir.resolve("nan.npy"));
        Files.write(dir.resolve("big64.npy"), float64Npy(1e300, 0));
        Files.writeString(dir.resolve("many-seeds.yaml"), """
                model: gmm:builtin
                samplers: [euler]
                schedulers: [karras]
                steps: [4]
                seeds: [1-999999, 1000000-1999998]
                """);
        // 57 samplers x 2 step counts x 4 prompts x 13750 seeds = 6.27 million cells.
        Files.writeString(dir.resolve("six-million.yaml"), """
                model: gmm:builtin
                samplers: all
                schedulers: [karras]
                steps: [10, 20]
                prompts: ["", "1", "2", "3"]
                seeds: 1-13750
                """);
        Files.writeString(dir.resolve("cfg1e300.yaml"), """
                model: gmm:builtin
                samplers: [euler]
                schedulers: [karras]
                steps: [4]
                cfg: [3, 1e300]
                seeds: [1]
                """);
    }

    /** A float64 .npy of one row, as numpy.save writes it (float64 1e300 has no float32 value: it reads as Inf). */
    private static byte[] float64Npy(double... row) {
        String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, " + row.length + "), }";
        String header = dict + " ".repeat(64 - (10 + dict.length() + 1) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 8 * row.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.US_ASCII));
        for (double v : row) {
            b.putDouble(v);
        }
        return b.array();
    }

    private Cli.Result run(Path out, List<String> args) {
        List<String> a = new ArrayList<>();
        for (String s : args) {
            a.add(s.replace("{dir}", dir.toString()));
        }
        String command = a.get(0);
        if (command.equals("sample")) {
            a.addAll(List.of("--out", out.toString()));
        } else if (command.equals("generate")) {
            a.addAll(List.of("--model", "tiny-eps", "--prompt", "sneaker", "-o", out.toString()));
        } else {
            a.addAll(List.of("--out", out.toString(), "--no-progress"));
        }
        return Cli.run(a.toArray(String[]::new));
    }

    private Path outFor(List<String> args) {
        return dir.resolve(switch (args.get(0)) {
            case "sample" -> "out.npy";
            case "generate" -> "out.png";
            default -> "report";
        });
    }

    /** Exit 2, one line naming every expected part, nothing on stdout, no output file (nor sidecar, nor report). */
    private void assertRefused(List<String> args, List<String> named) {
        Path out = outFor(args);
        Cli.Result r = run(out, args);
        assertEquals(Main.USAGE, r.code(), args + ": " + r.err());
        assertEquals(1, r.errLines(), r.err());
        for (String part : named) {
            assertTrue(r.err().contains(part), "'" + part + "' in: " + r.err());
        }
        assertFalse(r.err().contains("Exception") || r.err().contains("out of memory"), r.err());
        assertEquals("", r.out());
        assertFalse(Files.exists(out), "nothing written for " + args);
        assertFalse(Files.exists(SampleCommand.sidecar(out)), "no sidecar for " + args);
    }

    private static Arguments c(List<String> args, String... named) {
        return Arguments.of(args, List.of(named));
    }

    // ---------------------------------------------------------------- item 4: non-finite and overflowing input

    static Stream<Arguments> nonFiniteInput() {
        return Stream.of(
                c(List.of("sample", "--cfg", "1e308"), "--cfg 1.0E308", "[0, 100]"),
                c(List.of("sample", "--cfg", "101"), "--cfg 101.0", "[0, 100]"),
                c(List.of("generate", "--cfg", "1e300"), "--cfg 1.0E300", "[0, 100]"),
                c(List.of("compare", "--model", "gmm:builtin", "--cfg", "3,1e300"), "cfg[1] = 1.0E300", "[0, 100]"),
                c(List.of("compare", "{dir}/cfg1e300.yaml"), "cfg1e300.yaml: cfg[1] = 1.0E300", "[0, 100]"),
                c(List.of("sample", "--model", "gmm:{dir}/std1e300.json"), "components[0].std = 1.0E300", "at most 1e30"),
                c(List.of("sample", "--model", "gmm:{dir}/mean1e300.json"), "components[0].mean[0] = 1.0E300",
                        "at most 1e30"),
                c(List.of("sample", "--model", "gmm:{dir}/sigma-max.json"), "sigma_max = 1.0E300", "at most 1e30"),
                c(List.of("sample", "--model", "gmm:{dir}/weights.json"), "weights sum to Infinity", "finite"),
                c(List.of("compare", "--model", "gmm:{dir}/std1e300.json"), "components[0].std = 1.0E300", "at most 1e30"),
                c(List.of("sample", "--init-noise", "{dir}/nan.npy"), "nan.npy' holds NaN at row 0, column 1",
                        "must be finite"),
                c(List.of("sample", "--init-noise", "{dir}/big64.npy"), "big64.npy' holds Infinity at row 0, column 0",
                        "must be finite"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nonFiniteInput")
    void nonFiniteOrOverflowingInputIsBadInput(List<String> args, List<String> named) {
        assertRefused(args, named);
    }

    @Test
    void aRunWhoseStateGoesNonFiniteStopsNamingTheStepAndWritesNothing() {
        // In range, but noise scaled by 1e38 overflows float32 at the first ancestral step.
        Path out = dir.resolve("out.npy");
        Cli.Result r = run(out, List.of("sample", "--sampler", "euler_ancestral", "-P", "s_noise=1e38"));
        assertEquals(Main.FAILURE, r.code(), r.err());
        assertEquals(1, r.errLines(), r.err());
        assertTrue(r.err().startsWith("stepwise sample: the sample became non-finite (NaN or infinity) at step 2 (sigma "),
                r.err());
        assertTrue(r.err().contains("nothing was written"), r.err());
        assertFalse(Files.exists(out) || Files.exists(SampleCommand.sidecar(out)));
    }

    @Test
    void aCellWhoseStateGoesNonFiniteIsRecordedAsFailedAndTheRunGoesOn() throws IOException {
        Path out = dir.resolve("report");
        Cli.Result r = run(out, List.of("compare", "--model", "gmm:builtin", "--samplers", "euler,euler_ancestral",
                "-P", "euler_ancestral:s_noise=1e38", "--steps", "4", "--seeds", "1", "--batch", "16", "--reference", "none"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("2 cells") && r.out().contains("1 failed"), r.out());
        List<String> rows = Files.readAllLines(out.resolve("cells.csv"));
        assertEquals(3, rows.size(), String.join("\n", rows));
        assertTrue(rows.get(1).startsWith("euler-") && rows.get(1).endsWith(","), "euler's cell did not fail: " + rows.get(1));
        assertTrue(rows.get(2).endsWith("the sample became non-finite (NaN or infinity) at step 2 (sigma 9.723)"),
                rows.get(2));
    }

    // ---------------------------------------------------------------- item 5: sizes against limits

    static Stream<Arguments> overLimits() {
        return Stream.of(
                c(List.of("sample", "--steps", "1000000000"), "--steps 1000000000", "limit of 10000", "--limit steps="),
                c(List.of("sample", "--denoise", "1e-300"), "--denoise 1.0E-300", "2.00e+301-step schedule",
                        "limit of 10000", "larger --denoise"),
                c(List.of("sample", "--denoise", "0.001"), "--denoise 0.001", "20000-step schedule", "limit of 10000",
                        "--limit steps=20000"),
                c(List.of("sample", "--sigmas", "4,3,2,1,0", "--limit", "steps=3"), "--sigmas lists 4 steps",
                        "limit of 3", "--limit steps=4"),
                c(List.of("sample", "--batch", "2000000000"), "--batch 2000000000", "limit of 1000000",
                        "--limit batch=2000000000"),
                c(List.of("sample", "--batch", "2000000000", "--limit", "batch=2000000000"), "--batch 2000000000",
                        "GiB of memory", "STEPWISE_JAVA_OPTS=-Xmx"),
                c(List.of("sample", "--limit", "cells=5"), "--limit cells=5", "allowed: steps, batch"),
                c(List.of("generate", "--steps", "1000000000"), "--steps 1000000000", "limit of 10000", "--limit steps="),
                c(List.of("generate", "--batch", "2000"), "--batch 2000", "1..1024", "--limit batch=2000"),
                c(List.of("generate", "--threads", "100000"), "--threads 100000", "--limit threads=100000"),
                c(List.of("compare", "--model", "gmm:builtin", "--steps", "20000"), "steps[0] = 20000", "1..10000",
                        "--limit steps=20000"),
                c(List.of("compare", "--model", "gmm:builtin", "--samplers", "all", "--schedulers", "all", "--steps",
                        "10,20", "--seeds", "1-999999"), "cells", "more than the limit of 100000", "--limit cells="),
                c(List.of("compare", "{dir}/six-million.yaml"), "the plan has 6270000 cells", "limit of 100000",
                        "--limit cells=6270000"),
                c(List.of("compare", "{dir}/many-seeds.yaml"), "1000000-1999998", "at most 1000000"),
                c(List.of("compare", "--model", "gmm:builtin", "--parallel", "100000"), "--parallel 100000",
                        "--limit threads=100000"),
                c(List.of("compare", "--model", "tiny-eps", "--batch", "2000"), "batch = 2000", "1..1024",
                        "--limit batch=2000"),
                c(List.of("compare", "--model", "gmm:builtin", "--threads", "100000"), "--threads 100000",
                        "--limit threads=100000"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overLimits")
    void sizesPastALimitAreRefusedBeforeAnythingRuns(List<String> args, List<String> named) {
        assertRefused(args, named);
    }

    @Test
    void aRaisedLimitRuns() throws IOException {
        assertRefused(List.of("compare", "--model", "gmm:builtin", "--samplers", "euler", "--steps", "2",
                "--seeds", "1-4", "--batch", "8", "--reference", "none", "--limit", "cells=3"),
                List.of("the plan has 4 cells", "limit of 3", "--limit cells=4"));
        Path report = dir.resolve("report");
        assertEquals(0, run(report, List.of("compare", "--model", "gmm:builtin", "--samplers", "euler", "--steps", "2",
                "--seeds", "1-3", "--batch", "8", "--reference", "none", "--limit", "cells=3")).code());
        Path out = dir.resolve("out.npy");
        Cli.Result r = run(out, List.of("sample", "--steps", "10500", "--limit", "steps=10500"));
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(out));
    }

    // ---------------------------------------------------------------- should-fix a: inf as printed

    @Test
    void infAsListPrintsItIsAParameterValueWhereTheRangeAllowsIt() throws IOException {
        Path out = dir.resolve("out.npy");
        Cli.Result r = run(out, List.of("sample", "--sampler", "euler", "-P", "s_tmax=inf", "-P", "s_churn=1"));
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readString(SampleCommand.sidecar(out)).contains("\"s_tmax\" : \"Infinity\""));
        Files.delete(out);
        Files.delete(SampleCommand.sidecar(out));
        assertRefused(List.of("sample", "--sampler", "euler", "-P", "s_tmax=-inf"), List.of("s_tmax = -inf",
                "allowed: [0, inf]"));
        assertRefused(List.of("sample", "--sampler", "euler", "-P", "s_noise=inf"), List.of("s_noise = inf",
                "allowed: [0, inf)"));

        Path plan = dir.resolve("inf.yaml");
        for (String value : List.of("inf", "\"INF\"", "\"-inf\"")) {
            Files.writeString(plan, """
                    model: gmm:builtin
                    samplers: [{name: heun, params: {s_churn: 1, s_tmax: %s}}]
                    schedulers: [karras]
                    steps: [2]
                    seeds: [1]
                    batch: 8
                    reference: false
                    """.formatted(value));
            Path report = dir.resolve("report-" + value.replaceAll("\\W", ""));
            Cli.Result p = run(report, List.of("compare", plan.toString()));
            if (value.contains("-")) {
                assertEquals(Main.USAGE, p.code(), p.err());
                assertTrue(p.err().contains("s_tmax = -inf is out of range; allowed: [0, inf]"), p.err());
            } else {
                assertEquals(0, p.code(), value + ": " + p.err());
            }
        }
        Cli.Result flags = run(dir.resolve("report-flags"), List.of("compare", "--model", "gmm:builtin", "--samplers",
                "euler", "-P", "s_tmax=inf", "--steps", "2", "--seeds", "1", "--batch", "8", "--reference", "none"));
        assertEquals(0, flags.code(), flags.err());
    }

    // ---------------------------------------------------------------- should-fix b: one default cfg

    @Test
    void aPlanWithoutCfgRunsAtTheCfgOfTheFlags() throws IOException {
        Path plan = dir.resolve("no-cfg.yaml");
        Files.writeString(plan, """
                model: tiny-eps
                samplers: [euler]
                schedulers: [karras]
                steps: [2]
                prompts: [sneaker]
                seeds: [1]
                reference: false
                """);
        Path fromFile = dir.resolve("file"), fromFlags = dir.resolve("flags");
        assertEquals(0, run(fromFile, List.of("compare", plan.toString())).code());
        assertEquals(0, run(fromFlags, List.of("compare", "--model", "tiny-eps", "--samplers", "euler", "--steps", "2",
                "--prompt", "sneaker", "--seeds", "1", "--reference", "none")).code());
        String file = Files.readAllLines(fromFile.resolve("cells.csv")).get(1);
        String flags = Files.readAllLines(fromFlags.resolve("cells.csv")).get(1);
        // id,sampler,scheduler,steps,nfe_budget,cfg,...: an image model's default is 3 either way.
        assertEquals("3", file.split(",")[5], file);
        assertEquals("3", flags.split(",")[5], flags);
        assertEquals(file.split(",")[0], flags.split(",")[0], "the same cell");

        Path mixture = dir.resolve("mixture.yaml");
        Files.writeString(mixture, Files.readString(plan).replace("tiny-eps", "gmm:builtin").replace("sneaker", "'3'")
                + "batch: 8\n");
        Path fromMixture = dir.resolve("mixture");
        assertEquals(0, run(fromMixture, List.of("compare", mixture.toString())).code());
        assertEquals("1", Files.readAllLines(fromMixture.resolve("cells.csv")).get(1).split(",")[5],
                "a mixture's default is 1, as sample's");
    }
}
