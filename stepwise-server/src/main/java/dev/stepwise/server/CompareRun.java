package dev.stepwise.server;

import java.time.Instant;

/**
 * One compare run as the compare queue and its store know it: a plan (the JSON schema of {@code stepwise compare}'s
 * plan files) run into the report folder {@code DATA/compare/ID/}.
 *
 * @param request the client's body as accepted: {@code {"plan": {...}, "checklist": {...}}} (checklist optional)
 * @param done    cells finished (those found in the folder included), as last stored
 * @param total   cells of the plan (0 until the run has started once)
 * @param note    what happened to it across a restart or a rerun, or null
 */
public record CompareRun(String id, String name, Job.State state, String request, int done, int total, String error,
                         String note, Instant created, Instant started, Instant finished) {

    CompareRun with(Job.State s, int d, int t, String err, String n, Instant start, Instant end) {
        return new CompareRun(id, name, s, request, d, t, err, n, created, start, end);
    }
}
