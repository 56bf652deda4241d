package dev.stepwise.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stepwise.harness.Cell;
import dev.stepwise.harness.Checklist;
import dev.stepwise.harness.Limits;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.harness.ModelSources;
import dev.stepwise.harness.Plan;
import dev.stepwise.harness.PlanCheck;
import dev.stepwise.harness.PlanException;
import dev.stepwise.harness.PlanReader;
import dev.stepwise.harness.ScheduleNames;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * A compare run's request, {@code {"plan": PLAN, "checklist": CHECKLIST}}: the plan in the schema of
 * {@code stepwise compare}'s plan files (read by the harness's {@link PlanReader}, checked by {@link PlanCheck}) and
 * the optional human-scoring checklist in {@link Checklist}'s schema. A request names nothing on the server's disk:
 * the model is a name (or the built-in mixture), the checklist comes inline, schedule files are refused.
 *
 * @param checklist null when the request has none
 */
record CompareSpec(Plan plan, List<Cell> cells, Checklist checklist) {
    static final Set<String> FIELDS = Set.of("plan", "checklist");

    /**
     * Reads and checks a request, every refusal a 400 naming the field.
     *
     * @param models the server's models folder (model names are looked up in it; it never appears in a message)
     */
    static CompareSpec read(JsonNode body, ObjectMapper json, Path models, Limits limits) {
        Fields f = Fields.of(body, FIELDS);
        JsonNode plan = f.node("plan");
        if (plan == null || !plan.isObject()) {
            throw ApiException.bad("plan", "plan must be a JSON object in the schema of stepwise compare's plan files"
                    + " (keys: " + String.join(", ", PlanReader.KEYS) + ")");
        }
        if (plan.has("checklist")) {
            throw ApiException.bad("plan.checklist", "plan.checklist names a file; give the checklist itself as the"
                    + " request's \"checklist\" field ({\"prompts\": [{\"prompt\": ..., \"criteria\": [...]}]})");
        }
        JsonNode model = plan.get("model");
        if (model != null && model.isTextual()) {
            String m = model.asText();
            if (ModelSources.isMixture(m) ? !m.equals(ModelSources.BUILT_IN_MIXTURE) : ModelFolders.looksLikePath(m) || m.isBlank()) {
                throw ApiException.bad("plan.model", "plan.model '" + m + "' is not allowed: give a model name (see GET"
                        + " /api/models) or " + ModelSources.BUILT_IN_MIXTURE);
            }
        }
        refuseScheduleFiles(plan.get("schedulers"), "plan.schedulers");
        JsonNode reference = plan.get("reference");
        if (reference != null && reference.isObject()) {
            refuseScheduleFiles(reference.get("scheduler"), "plan.reference.scheduler");
        }
        Plan p;
        List<Cell> cells;
        try {
            p = PlanReader.parse(plan.toString().getBytes(StandardCharsets.UTF_8), false, "plan", models);
            cells = PlanCheck.check(p, models, limits);
        } catch (PlanException e) {
            throw ApiException.bad("plan", hideFolder(e.getMessage(), models));
        }
        Checklist checklist = null;
        JsonNode c = f.node("checklist");
        if (c != null && !c.isNull()) {
            try {
                checklist = Checklist.parse(c.toString(), true, "checklist", p);
            } catch (PlanException e) {
                throw ApiException.bad("checklist", e.getMessage());
            }
        }
        return new CompareSpec(p, cells, checklist);
    }

    /** A schedule file ("file:PATH") would be read from the server's disk: not something a request may name. */
    private static void refuseScheduleFiles(JsonNode n, String where) {
        if (n == null) {
            return;
        }
        if (n.isTextual() && ScheduleNames.isFile(n.asText())) {
            throw ApiException.bad(where, where + " '" + n.asText() + "' is not allowed here: the server takes registry"
                    + " schedulers only (see GET /api/schedulers)");
        }
        if (n.isArray()) {
            n.forEach(e -> refuseScheduleFiles(e, where));
        } else if (n.isObject()) {
            refuseScheduleFiles(n.get("name"), where);
        }
    }

    /** The server's folders are not the client's business. */
    static String hideFolder(String message, Path models) {
        return message.replace(" (in " + models + ")", "").replace(models.toAbsolutePath().toString(), "models")
                .replace(models.toString(), "models");
    }
}
