package dev.stepwise.onnx.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.onnx.text.PromptAttention.Run;
import java.util.List;
import org.junit.jupiter.api.Test;

class PromptAttentionTest {

    private static Run r(String text, double weight) {
        return new Run(text, weight);
    }

    /** The examples of parse_prompt_attention's docstring (A1111 modules/prompt_parser.py), values as printed there. */
    @Test
    void a1111DocstringExamples() {
        assertEquals(List.of(r("normal text", 1.0)), PromptAttention.a1111("normal text"));
        assertEquals(List.of(r("an ", 1.0), r("important", 1.1), r(" word", 1.0)),
                PromptAttention.a1111("an (important) word"));
        assertEquals(List.of(r("unbalanced", 1.1)), PromptAttention.a1111("(unbalanced"));
        assertEquals(List.of(r("(literal]", 1.0)), PromptAttention.a1111("\\(literal\\]"));
        assertEquals(List.of(r("unnecessaryparens", 1.1)), PromptAttention.a1111("(unnecessary)(parens)"));
        assertEquals(List.of(r("a ", 1.0), r("house", 1.5730000000000004), r(" ", 1.1), r("on", 1.0), r(" a ", 1.1),
                        r("hill", 0.55), r(", sun, ", 1.1), r("sky", 1.4641000000000006), r(".", 1.1)),
                PromptAttention.a1111("a (((house:1.3)) [on] a (hill:0.5), sun, (((sky)))."));
    }

    @Test
    void a1111HandDerived() {
        assertEquals(List.of(r("", 1.0)), PromptAttention.a1111(""));
        // Nesting multiplies, innermost first: 2 * 1.1.
        assertEquals(List.of(r("a", 2.0 * 1.1)), PromptAttention.a1111("((a:2))"));
        assertEquals(List.of(r("a", 1 / 1.1 / 1.1)), PromptAttention.a1111("[[a]]"));
        assertEquals(List.of(r("a", 1 / 1.1)), PromptAttention.a1111("[a"));
        // Closers with nothing open, and ":w)" with no "(" open, are text.
        assertEquals(List.of(r("a) b] c:1.2)", 1.0)), PromptAttention.a1111("a) b] c:1.2)"));
        // The other escapes: \[ \) \\; a backslash before anything else is dropped.
        assertEquals(List.of(r("[x) \\ ab", 1.0)), PromptAttention.a1111("\\[x\\) \\\\ a\\b"));
        // No spaces around the weight: "(a: 1.2)" is the text "a: 1.2" at 1.1.
        assertEquals(List.of(r("a: 1.2", 1.1)), PromptAttention.a1111("(a: 1.2)"));
        assertEquals(List.of(r("a", -1.0 * 1.1)), PromptAttention.a1111("((a:-1))"));
        // Python's \d takes any decimal digit, and float() reads them: Arabic-Indic 1.5.
        assertEquals(List.of(r("a", 1.5)), PromptAttention.a1111("(a:\u0661.\u0665)"));
    }

    @Test
    void a1111Break() {
        List<Run> runs = PromptAttention.a1111("a BREAK b");
        assertEquals(List.of(r("a", 1.0), r("BREAK", -1.0), r("b", 1.0)), runs);
        assertTrue(runs.get(1).isA1111Break());
        // As its own upper-case word only.
        assertEquals(List.of(r("a break BREAKfast", 1.0)), PromptAttention.a1111("a break BREAKfast"));
        // Inside brackets A1111 multiplies the break's -1 too, so it is no break any more (the word "BREAK" at -1.1).
        List<Run> bracketed = PromptAttention.a1111("(a BREAK b)");
        assertEquals(List.of(r("a", 1.1), r("BREAK", -1.1), r("b", 1.1)), bracketed);
        assertFalse(bracketed.get(1).isA1111Break());
    }

    @Test
    void a1111BadWeight() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PromptAttention.a1111("(a:1.2.3)"));
        assertTrue(e.getMessage().contains("\"1.2.3\" is not a number"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PromptAttention.a1111("(a:.)"));
    }

    /** From ComfyUI comfy/sd1_clip.py token_weights / parse_parentheses / escape_important, derived by hand. */
    @Test
    void comfyuiHandDerived() {
        assertEquals(List.of(), PromptAttention.comfyui(""));
        assertEquals(List.of(r("x", 1.2)), PromptAttention.comfyui("(x:1.2)"));
        assertEquals(List.of(r("x", 1.1)), PromptAttention.comfyui("(x)"));
        assertEquals(List.of(r("x", 1.1 * 1.1)), PromptAttention.comfyui("((x))"));
        // The inner weight replaces the outer one (A1111 would give 1.32).
        assertEquals(List.of(r("x", 1.2)), PromptAttention.comfyui("((x:1.2))"));
        assertEquals(List.of(r("x", 1.5 * 1.1)), PromptAttention.comfyui("((x):1.5)"));
        assertEquals(List.of(r("a ", 1.0), r("b", 1.5), r(" c", 1.0)), PromptAttention.comfyui("a (b:1.5) c"));
        // No square brackets, no BREAK, no merging.
        assertEquals(List.of(r("[x] BREAK y", 1.0)), PromptAttention.comfyui("[x] BREAK y"));
        assertEquals(List.of(r("a", 1.1), r("b", 1.1)), PromptAttention.comfyui("(a)(b)"));
        // Only \( and \) escape.
        assertEquals(List.of(r("(x) \\[y\\]", 1.0)), PromptAttention.comfyui("\\(x\\) \\[y\\]"));
        assertEquals(List.of(r("a (b)", 1.3)), PromptAttention.comfyui("(a \\(b\\):1.3)"));
        // The group's last ':' decides: "0.5)" is no float, so the outer group is 1.1 and the inner one 0.5.
        assertEquals(List.of(r("a ", 1.1), r("b", 0.5)), PromptAttention.comfyui("(a (b:0.5))"));
        // Python's float(): spaces, exponents, underscores.
        assertEquals(List.of(r("x", 1.5)), PromptAttention.comfyui("(x: 1.5 )"));
        assertEquals(List.of(r("x", 0.1)), PromptAttention.comfyui("(x:1e-1)"));
        assertEquals(List.of(r("x", 10.0)), PromptAttention.comfyui("(x:1_0)"));
        assertEquals(List.of(r("x:abc", 1.1)), PromptAttention.comfyui("(x:abc)"));
        // A ':' at the start is no weight.
        assertEquals(List.of(r(":1.2", 1.1)), PromptAttention.comfyui("(:1.2)"));
        // Unclosed, and after an unmatched ')' the level is below zero: text.
        assertEquals(List.of(r("(x", 1.0)), PromptAttention.comfyui("(x"));
        assertEquals(List.of(r("a) (b)", 1.0)), PromptAttention.comfyui("a) (b)"));
        assertEquals(List.of(r("a", 1.1), r(")(b)", 1.0)), PromptAttention.comfyui("(a))(b)"));
    }

    @Test
    void comfyuiNonFiniteWeightsAreRejected() {
        for (String p : List.of("(x:nan)", "(x:inf)", "(x:-Infinity)")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PromptAttention.comfyui(p));
            assertTrue(e.getMessage().contains("not finite"), e.getMessage());
        }
    }

    @Test
    void pythonFloat() {
        assertEquals(1.5, PromptAttention.pythonFloat("\u00a01.5\t"));
        assertEquals(-0.25, PromptAttention.pythonFloat("-.25"));
        assertEquals(5.0, PromptAttention.pythonFloat("5."));
        assertEquals(1200.0, PromptAttention.pythonFloat("1.2E3"));
        assertTrue(Double.isNaN(PromptAttention.pythonFloat("1__0")));
        assertTrue(Double.isNaN(PromptAttention.pythonFloat("0x10")));
        assertTrue(Double.isNaN(PromptAttention.pythonFloat("1.5f")));
        assertTrue(Double.isNaN(PromptAttention.pythonFloat("")));
        assertEquals(Double.NEGATIVE_INFINITY, PromptAttention.pythonFloat("-inf"));
    }
}
