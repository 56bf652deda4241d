package dev.stepwise.harness;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The 0/1 scores a person gave in a filled-in scoring sheet ({@link ScoringSheet#read}), per cell and
 * criterion, aggregated per configuration as the community experiment did: an image counts once every
 * criterion of its prompt is scored; its score is the number of criteria met, out of the number of criteria.
 */
public final class HumanScores {
    private final Checklist checklist;
    private final Plan plan;
    private final List<CellResult> scorable;
    private final Map<String, Map<String, Integer>> scores;

    /**
     * @param scores by cell id, then criterion: 0 or 1 (criteria left blank are absent)
     */
    HumanScores(Checklist checklist, Plan plan, List<CellResult> results, Map<String, Map<String, Integer>> scores) {
        this.checklist = Objects.requireNonNull(checklist, "checklist");
        this.plan = Objects.requireNonNull(plan, "plan");
        this.scorable = ScoringSheet.scorable(plan, results, checklist);
        this.scores = Map.copyOf(scores);
    }

    public Checklist checklist() {
        return checklist;
    }

    /** The scores given to one cell's image, by criterion (0 or 1; criteria not scored yet are absent). */
    public Map<String, Integer> given(String cellId) {
        return Map.copyOf(scores.getOrDefault(cellId, Map.of()));
    }

    /**
     * The human score of a configuration's images: over its finished cells whose prompt the checklist
     * scores, fully scored images counted, the others reported as unscored.
     */
    public Summary.HumanScore of(Cell.Config config) {
        int images = 0;
        int unscored = 0;
        int total = 0;
        int possible = 0;
        for (CellResult r : scorable) {
            if (!r.cell().config().equals(config)) {
                continue;
            }
            List<String> criteria = checklist.criteria(plan.prompts().get(r.cell().prompt()).prompt());
            Map<String, Integer> given = scores.getOrDefault(r.id(), Map.of());
            if (!given.keySet().containsAll(criteria)) {
                unscored++;
                continue;
            }
            images++;
            possible += criteria.size();
            for (String c : criteria) {
                total += given.get(c);
            }
        }
        return new Summary.HumanScore(images, unscored, total, possible);
    }
}
