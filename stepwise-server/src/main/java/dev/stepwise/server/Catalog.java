package dev.stepwise.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stepwise.core.param.Parameter;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.sampling.SamplerInfo;
import dev.stepwise.core.schedule.SchedulerInfo;
import dev.stepwise.core.schedule.Schedulers;
import dev.stepwise.harness.Catalogue;
import dev.stepwise.harness.ModelFolders;
import dev.stepwise.onnx.ModelConfig;
import java.nio.file.Path;

/** The registries and the models folder as JSON: the same facts {@code stepwise list} prints. */
final class Catalog {
    private Catalog() {
    }

    static ArrayNode samplers(ObjectMapper json) {
        ArrayNode out = json.createArrayNode();
        for (SamplerInfo s : Samplers.all()) {
            ObjectNode n = out.addObject();
            n.put("name", s.name()).put("description", s.description()).put("order", s.order())
                    .put("calls_per_step", s.callsPerStep()).put("calls", Catalogue.calls(s))
                    .put("final_step_single_call", s.finalStepSingleCall()).put("stochastic", s.stochastic())
                    .put("adaptive", s.adaptive()).put("cfg_pp", s.cfgPp()).put("kind", Catalogue.kind(s))
                    .put("reference", s.reference());
            n.set("parameters", parameters(json, s.parameters().toArray(Parameter[]::new)));
        }
        return out;
    }

    static ArrayNode schedulers(ObjectMapper json) {
        ArrayNode out = json.createArrayNode();
        for (SchedulerInfo s : Schedulers.all()) {
            ObjectNode n = out.addObject();
            n.put("name", s.name()).put("description", s.description()).put("reference", s.reference());
            n.set("parameters", parameters(json, s.parameters().toArray(Parameter[]::new)));
        }
        return out;
    }

    private static ArrayNode parameters(ObjectMapper json, Parameter... ps) {
        ArrayNode out = json.createArrayNode();
        for (Parameter p : ps) {
            ObjectNode n = out.addObject();
            n.put("name", p.name()).put("type", p.type().name().toLowerCase(java.util.Locale.ROOT))
                    .put("default", p.defaultText()).put("range", p.rangeText()).put("description", p.description());
            if (p.type() == Parameter.Type.CHOICE) {
                n.set("choices", json.valueToTree(p.choices()));
            }
        }
        return out;
    }

    /** The models under the models folder: name, prediction, image size, classes (the prompt vocabulary). */
    static ArrayNode models(ObjectMapper json, Path models) {
        ArrayNode out = json.createArrayNode();
        for (String name : ModelFolders.names(models)) {
            ModelConfig c;
            try {
                c = ModelConfig.read(models.resolve(name));
            } catch (IllegalArgumentException e) {
                continue;   // a broken model.json is not a model to offer
            }
            int[] shape = c.sampleShape();
            ObjectNode n = out.addObject();
            n.put("name", name).put("prediction", c.prediction().name().toLowerCase(java.util.Locale.ROOT))
                    .put("channels", shape[0]).put("height", shape[1]).put("width", shape[2]);
            n.set("classes", json.valueToTree(c.classes()));
            n.set("synonyms", json.valueToTree(c.synonyms()));
        }
        return out;
    }
}
