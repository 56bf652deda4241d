package dev.stepwise.onnx.sd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.SampleRequest;
import dev.stepwise.core.SampleResult;
import dev.stepwise.core.Stepwise;
import dev.stepwise.core.model.Model;
import dev.stepwise.core.samplers.Samplers;
import dev.stepwise.core.schedule.Schedulers;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every sampler and every scheduler of the catalogue runs on the tiny SD folders, eps (SD1), v (SD2) and flow (SD3). */
class CatalogueOnSdTest {

    @ParameterizedTest
    @ValueSource(strings = {"sd1", "sd2-v", "sd3"})
    void everySamplerAndSchedulerGivesAFiniteLatent(String family) {
        try (SdModel sd = SdModelTest.load(family)) {
            Model m = sd.model(16, 16);
            SdConditioning pos = sd.promptEncoder().encode("a cat"), neg = sd.promptEncoder().encode("");
            List<String> failures = new ArrayList<>();
            for (String sampler : Samplers.names()) {
                run(m, pos, neg, sampler, "karras", failures);
            }
            for (String scheduler : Schedulers.names()) {
                run(m, pos, neg, "euler", scheduler, failures);
            }
            assertEquals(List.of(), failures);
        }
    }

    private static void run(Model m, SdConditioning pos, SdConditioning neg, String sampler, String scheduler,
                            List<String> failures) {
        try {
            SampleResult r = Stepwise.sample(SampleRequest.builder(m).sampler(sampler).scheduler(scheduler).steps(4)
                    .cfg(3).seed(7).prompt(pos).negative(neg).build());
            for (float v : r.samples().data()) {
                assertTrue(Float.isFinite(v));
            }
        } catch (RuntimeException e) {
            failures.add(sampler + "/" + scheduler + ": " + e.getMessage());
        }
    }
}
