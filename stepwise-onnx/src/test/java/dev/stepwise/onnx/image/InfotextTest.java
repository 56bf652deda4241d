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
}
