package dev.stepwise.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code stepwise compare} on the tiny random-weight SD1 folder: its cells are {@code stepwise generate}'s images. */
class CompareSdTest {
    @TempDir
    Path dir;

    private Path plan(String size) throws IOException {
        Path p = dir.resolve("sd.yaml");
        Files.writeString(p, "name: sd\nmodel: " + GenerateSdTest.folder("sd1") + "\nsamplers: [euler, dpmpp_2m]\n"
                + "schedulers: [simple]\nsteps: [4]\ncfg: 3\nprompts:\n  - {prompt: a red fox, negative: blurry}\n"
                + "seeds: [3, 4]\nreference: false\n" + size);
        return p;
    }

    @Test
    void eachCellIsTheImageGenerateMakesAndARerunRunsNothing() throws IOException {
        Path out = dir.resolve("report");
        Cli.Result r = Cli.run("compare", plan("width: 64\nheight: 48\n").toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("sd: 4 cells (2 configurations) on " + GenerateSdTest.folder("sd1")), r.out());
        JsonNode cells = new ObjectMapper().readTree(out.resolve("cells.json").toFile());
        assertEquals(4, cells.size());
        for (JsonNode c : cells) {
            Path png = dir.resolve(c.get("sampler").asText() + "-" + c.get("seed").asLong() + ".png");
            Cli.Result g = Cli.run("generate", "--model", GenerateSdTest.folder("sd1").toString(), "--prompt", "a red fox",
                    "--negative", "blurry", "--sampler", c.get("sampler").asText(), "--scheduler", "simple", "--steps",
                    "4", "--cfg", "3", "--seed", c.get("seed").asText(), "--width", "64", "--height", "48",
                    "--no-progress", "-o", png.toString());
            assertEquals(0, g.code(), g.err());
            assertArrayEquals(Files.readAllBytes(png), Files.readAllBytes(out.resolve(c.get("image").asText())),
                    "cell " + c.get("id").asText() + " is generate's PNG, infotext and ComfyUI prompt included");
        }
        String summary = Files.readString(out.resolve("summary.md"));
        assertTrue(summary.contains("are left out on the Stable Diffusion checkpoint sd1"), summary);

        Cli.Result again = Cli.run("compare", plan("width: 64\nheight: 48\n").toString(), "--out", out.toString());
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("all 4 cells already in " + out), again.err());
    }

    @Test
    void aSizeNotAMultipleOfEightIsOneLineExitTwo() throws IOException {
        Path out = dir.resolve("report");
        Cli.Result r = Cli.run("compare", plan("width: 60\n").toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertEquals("stepwise compare: " + dir.resolve("sd.yaml") + ": width 60 is not allowed; width must be a"
                + " positive multiple of 8 (the VAE's factor), such as 56 or 64", r.err().strip());
        assertFalse(Files.exists(out));
    }

    @Test
    void aFolderThatIsNoExportIsOneLineExitTwo() throws IOException {
        Path notSd = Files.createDirectories(dir.resolve("photos"));
        Path p = dir.resolve("bad.yaml");
        Files.writeString(p, "model: " + notSd + "\nsamplers: [euler]\nschedulers: [simple]\nsteps: [4]\nseeds: [1]\n");
        Cli.Result r = Cli.run("compare", p.toString(), "--out", dir.resolve("report").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().strip().startsWith("stepwise compare: " + p + ": model '" + notSd + "': the folder has no"
                + " model.json (nor model_index.json of a diffusers ONNX export)"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
