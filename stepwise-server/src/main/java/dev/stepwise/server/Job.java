package dev.stepwise.server;

import java.time.Instant;
import java.util.List;

/**
 * One generate job as the queue and the store know it.
 *
 * @param api       the API that submitted it: "native", "a1111" or "comfyui" (how its results are shown back)
 * @param request   the client's request body as sent (A1111 echoes it as "parameters", ComfyUI's history shows the graph)
 * @param images    the finished images, as paths relative to the data folder's outputs folder ("ID/1.png")
 * @param infotexts each image's A1111 infotext
 * @param note      what happened to it across a restart, or null
 */
public record Job(String id, String api, State state, GenerateSpec spec, String request, List<String> images,
                  List<String> infotexts, String error, String note, Instant created, Instant started, Instant finished) {

    public enum State {
        queued, running, done, failed, cancelled;

        boolean finished() {
            return this == done || this == failed || this == cancelled;
        }
    }

    public Job {
        images = List.copyOf(images);
        infotexts = List.copyOf(infotexts);
    }

    Job with(State s, List<String> imgs, List<String> infos, String err, String n, Instant start, Instant end) {
        return new Job(id, api, s, spec, request, imgs, infos, err, n, created, start, end);
    }
}
