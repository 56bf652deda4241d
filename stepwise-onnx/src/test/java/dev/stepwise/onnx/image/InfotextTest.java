package dev.stepwise.onnx.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class InfotextTest {
    @Test
    void a1111LayoutWithNegativePrompt() {
        Infotext t = new Infotext("(bag:1.3), coat", "sneaker", 20, "dpmpp_2m", "karras", 3, 42, 28, 28, "fashion-eps");
        assertEquals("(bag:1.3), coat\nNegative prompt: sneaker\nSteps: 20, Sampler: dpmpp_2m, Schedule type: karras,"
                + " CFG scale: 3, Seed: 42, Size: 28x28, Model: fashion-eps", t.format());
    }

    @Test
    void emptyNegativePromptLineIsLeftOut() {
        Infotext t = new Infotext("bag", "", 20, "dpmpp_2m", "karras", 3, 42, 28, 28, "fashion-eps");
        assertEquals("bag\nSteps: 20, Sampler: dpmpp_2m, Schedule type: karras, CFG scale: 3, Seed: 42,"
                + " Size: 28x28, Model: fashion-eps", t.format());
    }

    @Test
    void emptyPromptIsStrippedAsA1111Does() {
        Infotext t = new Infotext("", "", 4, "euler", "normal", 1, 0, 28, 28, "m");
        assertEquals("Steps: 4, Sampler: euler, Schedule type: normal, CFG scale: 1, Seed: 0, Size: 28x28, Model: m",
                t.format());
    }

    @Test
    void valuesWithCommasColonsOrNewlinesAreJsonQuoted() {
        Infotext t = new Infotext("bag", "", 20, "euler", "karras", 3.5, -1, 56, 84, "a,b").with("Note", "x: \"y\"\nz")
                .with("Tiling", "Tiling");
        assertEquals("bag\nSteps: 20, Sampler: euler, Schedule type: karras, CFG scale: 3.5, Seed: -1, Size: 56x84,"
                + " Model: \"a,b\", Note: \"x: \\\"y\\\"\\nz\", Tiling", t.format());
    }

    @Test
    void numbersUseTheirShortestForm() {
        assertEquals("7", Infotext.number(7.0));
        assertEquals("7.5", Infotext.number(7.5));
        assertEquals("0.0001", Infotext.number(1e-4));
        assertEquals("-2", Infotext.number(-2));
        assertEquals("1.0E-300", Infotext.number(1e-300), "not 300 digits");
    }

    @Test
    void parsesAnA1111InfotextIntoItsFields() {
        // The layout A1111 writes (modules/processing.py create_infotext), with a quoted value holding ', ' and ':'.
        String text = "a cat, (sitting:1.2)\nsecond line\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M,"
                + " Schedule type: Karras, CFG scale: 7, Seed: 1234, Size: 512x768, Model: v1-5,"
                + " Lora hashes: \"a: 1, b: 2\", Version: v1.10.1";
        java.util.Map<String, String> expected = new java.util.LinkedHashMap<>();
        expected.put("Prompt", "a cat, (sitting:1.2)\nsecond line");
        expected.put("Negative prompt", "blurry");
        expected.put("Steps", "20");
        expected.put("Sampler", "DPM++ 2M");
        expected.put("Schedule type", "Karras");
        expected.put("CFG scale", "7");
        expected.put("Seed", "1234");
        expected.put("Size", "512x768");
        expected.put("Size-1", "512");
        expected.put("Size-2", "768");
        expected.put("Model", "v1-5");
        expected.put("Lora hashes", "a: 1, b: 2");
        expected.put("Version", "v1.10.1");
        assertEquals(expected, Infotext.parse(text));
    }

    @Test
    void parseReadsBackWhatFormatWrites() {
        Infotext t = new Infotext("bag", "", 20, "dpmpp_2m", "karras", 3.5, 42, 28, 28, "fashion-eps").with("Note", "x, y");
        java.util.Map<String, String> p = Infotext.parse(t.format());
        assertEquals("bag", p.get("Prompt"));
        assertEquals(null, p.get("Negative prompt"));
        assertEquals("3.5", p.get("CFG scale"));
        assertEquals("x, y", p.get("Note"));
        assertEquals("28", p.get("Size-1"));
    }

    @Test
    void aLastLineOfFewerThanThreePairsIsPrompt() {
        assertEquals(java.util.Map.of("Prompt", "style: oil, light: soft"), Infotext.parse("style: oil, light: soft"));
    }
}
