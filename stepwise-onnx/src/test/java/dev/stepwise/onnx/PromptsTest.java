package dev.stepwise.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.model.Conditioning;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PromptsTest {
    static final List<String> CLASSES = List.of("t-shirt", "trouser", "pullover", "dress", "coat",
            "sandal", "shirt", "sneaker", "bag", "ankle boot");
    static final Map<String, String> SYNONYMS = Map.of("boots", "ankle boot", "handbag", "bag", "jacket", "coat",
            "running shoe", "sneaker");

    private static double[] w(String prompt) {
        return Prompts.parse(prompt, CLASSES, SYNONYMS).weights();
    }

    private static double[] expect(Object... labelWeight) {
        double[] e = new double[10];
        for (int i = 0; i < labelWeight.length; i += 2) {
            e[CLASSES.indexOf((String) labelWeight[i])] = ((Number) labelWeight[i + 1]).doubleValue();
        }
        return e;
    }

    @Test
    void plainWordIsOneHot() {
        assertArrayEquals(expect("bag", 1), w("bag"), 0);
        assertArrayEquals(expect("coat", 1, "sneaker", 1), w("coat, sneaker"), 0);
    }

    @Test
    void explicitWeights() {
        assertArrayEquals(expect("bag", 1.3, "coat", 1), w("(bag:1.3), coat"), 1e-12);
        assertArrayEquals(expect("bag", 0.5), w("( bag : 0.5 )"), 1e-12);
        assertArrayEquals(expect("bag", 0.0), w("(bag:0)"), 0);
        assertArrayEquals(expect("bag", 0.25), w("(bag:.25)"), 1e-12);
    }

    @Test
    void emphasisAndDeemphasisMultiplyBy11() {
        assertArrayEquals(expect("bag", 1.1), w("(bag)"), 1e-12);
        assertArrayEquals(expect("bag", 1.1 * 1.1), w("((bag))"), 1e-12);
        assertArrayEquals(expect("bag", 1 / 1.1), w("[bag]"), 1e-12);
        assertArrayEquals(expect("bag", 1 / 1.21), w("[[bag]]"), 1e-12);
        // Nesting multiplies: an explicit weight inside one () emphasis.
        assertArrayEquals(expect("bag", 1.1 * 1.5), w("((bag:1.5))"), 1e-12);
        // Brackets may span several terms.
        assertArrayEquals(expect("bag", 1.2, "coat", 1.2), w("(bag, coat:1.2)"), 1e-12);
        // An unclosed bracket applies to the rest of the prompt, as in A1111.
        assertArrayEquals(expect("bag", 1, "coat", 1.1), w("bag, (coat"), 1e-12);
    }

    @Test
    void caseInsensitiveMultiWordAndSynonyms() {
        assertArrayEquals(expect("ankle boot", 1), w("Ankle Boot"), 0);
        assertArrayEquals(expect("ankle boot", 1), w("  ankle    boot "), 0);
        assertArrayEquals(expect("ankle boot", 1), w("ankle_boot"), 0);
        assertArrayEquals(expect("ankle boot", 1.2), w("(ANKLE BOOT:1.2)"), 1e-12);
        assertArrayEquals(expect("ankle boot", 1, "bag", 1.1), w("boots, (HandBag)"), 1e-12);
        assertArrayEquals(expect("sneaker", 2), w("running shoe, (sneaker:1)"), 1e-12);
        assertArrayEquals(expect("t-shirt", 1), w("T-Shirt"), 0);
    }

    @Test
    void repeatedClassesAddUp() {
        assertArrayEquals(expect("coat", 2.5), w("coat, jacket, (coat:0.5)"), 1e-12);
    }

    @Test
    void emptyPromptIsUnconditional() {
        for (String p : new String[] {"", "   ", ",", " , ,"}) {
            Conditioning.Classes c = Prompts.parse(p, CLASSES, SYNONYMS);
            assertTrue(c.isUnconditional(), p);
            assertEquals(10, c.count());
        }
    }

    @Test
    void unknownWordListsTheVocabulary() {
        var e = assertThrows(IllegalArgumentException.class, () -> w("bag, red hat"));
        assertTrue(e.getMessage().contains("'red hat'"), e.getMessage());
        assertTrue(e.getMessage().contains(String.join(", ", CLASSES)), e.getMessage());
        // Without parentheses ':1.3' is plain text, as in A1111, so the term is unknown.
        assertThrows(IllegalArgumentException.class, () -> w("bag:1.3"));
    }

    @Test
    void negativeAndMixedWeightsAreRejected() {
        var neg = assertThrows(IllegalArgumentException.class, () -> w("(bag:-1)"));
        assertTrue(neg.getMessage().contains(">= 0"), neg.getMessage());
        var mixed = assertThrows(IllegalArgumentException.class, () -> w("ankle (boot:1.2)"));
        assertTrue(mixed.getMessage().contains("mixes weights"), mixed.getMessage());
    }

    @Test
    void attentionSegmentsFollowA1111() {
        assertEquals(List.of(new Prompts.Segment("a ", 1), new Prompts.Segment("b", 1.1 * 1.1),
                new Prompts.Segment(" c", 1)), Prompts.attention("a ((b)) c"));
        assertEquals(List.of(new Prompts.Segment("(bag)", 1)), Prompts.attention("\\(bag\\)"));
        assertEquals(List.of(), Prompts.attention(""));
    }
}
