package dev.stepwise.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The human-scoring checklist: per prompt, yes/no criteria a person answers for every image (1 = acceptable,
 * 0 = flawed), as in the community experiment. A YAML or JSON file:
 * <pre>{@code
 * {"prompts": [{"prompt": "sneaker", "criteria": ["is a sneaker", "sole drawn"]}, ...]}
 * }</pre>
 * Each entry names a plan prompt by its exact text; prompts without an entry are not scored.
 *
 * @param items  one per prompt, in the file's order
 * @param source the file, for messages
 */
public record Checklist(List<Item> items, String source) {

    /**
     * The criteria of one prompt.
     *
     * @param prompt   the plan prompt's exact text
     * @param criteria distinct, non-blank questions
     */
    public record Item(String prompt, List<String> criteria) {
        public Item {
            Objects.requireNonNull(prompt, "prompt");
            criteria = List.copyOf(criteria);
        }
    }

    /** Keys in the order the format documents them, for messages. */
    private static final List<String> TOP_KEYS = List.of("prompts");
    private static final List<String> ITEM_KEYS = List.of("prompt", "criteria");

    public Checklist {
        items = List.copyOf(items);
        Objects.requireNonNull(source, "source");
    }

    /** The criteria of a prompt text, empty when the checklist does not score it. */
    public List<String> criteria(String prompt) {
        for (Item item : items) {
            if (item.prompt().equals(prompt)) {
                return item.criteria();
            }
        }
        return List.of();
    }

    /**
     * Reads a checklist file (JSON when its name ends in .json, else YAML) and checks it against the plan.
     *
     * @throws PlanException one line naming the file, the field and what is allowed
     */
    public static Checklist read(Path file, Plan plan) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new PlanException("checklist '" + file + "' does not exist");
        } catch (IOException e) {
            throw new PlanException("cannot read checklist '" + file + "': " + e.getMessage());
        }
        boolean json = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
        return parse(text, json, file.toString(), plan);
    }

    /** Parses checklist text; {@code source} names it in messages. */
    public static Checklist parse(String text, boolean json, String source, Plan plan) {
        JsonNode root = PlanReader.tree(text.getBytes(StandardCharsets.UTF_8), !json, source);
        String shape = "expected {\"prompts\": [{\"prompt\": \"...\", \"criteria\": [\"...\", ...]}, ...]}";
        if (root == null || !root.isObject()) {
            throw new PlanException(source + ": " + shape);
        }
        PlanReader.checkKeys(source, "", root, TOP_KEYS);
        JsonNode prompts = root.get("prompts");
        if (prompts == null || !prompts.isArray() || prompts.isEmpty()) {
            throw new PlanException(source + ": 'prompts' must be a non-empty list; " + shape);
        }
        Set<String> planPrompts = new HashSet<>();
        plan.prompts().forEach(p -> planPrompts.add(p.prompt()));
        Set<String> seen = new HashSet<>();
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            String where = "prompts[" + i + "]";
            JsonNode entry = prompts.get(i);
            if (!entry.isObject()) {
                throw new PlanException(source + ": " + where + " must be an object {\"prompt\": ..., \"criteria\": [...]}");
            }
            PlanReader.checkKeys(source, where + ".", entry, ITEM_KEYS);
            JsonNode p = entry.get("prompt");
            if (p == null || !p.isTextual()) {
                throw new PlanException(source + ": " + where + ".prompt must be the text of a plan prompt, got "
                        + (p == null ? "nothing" : p.toString()));
            }
            String prompt = p.asText();
            if (!planPrompts.contains(prompt)) {
                throw new PlanException(source + ": " + where + ".prompt '" + prompt + "' is not a prompt of the plan; "
                        + "allowed: " + String.join(", ", plan.prompts().stream().map(s -> "'" + s.prompt() + "'").distinct().toList()));
            }
            if (!seen.add(prompt)) {
                throw new PlanException(source + ": " + where + ".prompt '" + prompt + "' is listed twice; give each prompt one entry");
            }
            JsonNode c = entry.get("criteria");
            if (c == null || !c.isArray() || c.isEmpty()) {
                throw new PlanException(source + ": " + where + ".criteria must be a non-empty list of yes/no questions");
            }
            List<String> criteria = new ArrayList<>();
            for (int k = 0; k < c.size(); k++) {
                JsonNode q = c.get(k);
                if (!q.isTextual() || q.asText().isBlank()) {
                    throw new PlanException(source + ": " + where + ".criteria[" + k + "] must be a non-empty text, got " + q);
                }
                String criterion = q.asText().strip();
                if (criteria.contains(criterion)) {
                    throw new PlanException(source + ": " + where + ".criteria[" + k + "] '" + criterion
                            + "' is listed twice for this prompt");
                }
                criteria.add(criterion);
            }
            items.add(new Item(prompt, criteria));
        }
        return new Checklist(items, source);
    }
}
