package dev.stepwise.core.samplers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.core.samplers.A1111SamplerNames.Choice;
import dev.stepwise.core.samplers.A1111SamplerNames.Label;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A1111's labels against the k-diffusion functions its samplers_k_diffusion table names. */
class A1111SamplerNamesTest {

    @Test
    void labelsMapToTheirKDiffusionFunctions() {
        assertEquals(new Choice("dpmpp_2m", Optional.of("karras")), A1111SamplerNames.resolve("DPM++ 2M Karras"));
        assertEquals(new Choice("euler_ancestral", Optional.empty()), A1111SamplerNames.resolve("Euler a"));
        assertEquals(new Choice("euler_ancestral", Optional.empty()), A1111SamplerNames.resolve("k_euler_a"));
        assertEquals(new Choice("dpmpp_2m_sde", Optional.of("exponential")),
                A1111SamplerNames.resolve("DPM++ 2M SDE Exponential"));
        assertEquals(new Choice("dpmpp_2m_sde_heun", Optional.empty()), A1111SamplerNames.resolve("DPM++ 2M SDE Heun"));
        assertEquals(new Choice("dpm_2_ancestral", Optional.of("karras")), A1111SamplerNames.resolve("k_dpm_2_a_ka"));
        assertEquals(new Choice("uni_pc", Optional.empty()), A1111SamplerNames.resolve("unipc"));
    }

    @Test
    void menuOrderAliasesAndAutomaticSchedulerAsA1111Lists() {
        // sd_samplers_kdiffusion.py (v1.10): the menu starts with DPM++ 2M, whose options carry 'scheduler': 'karras'
        assertEquals(List.of("DPM++ 2M", "DPM++ SDE", "DPM++ 2M SDE"), A1111SamplerNames.labels().subList(0, 3));
        assertEquals(Optional.of("karras"), A1111SamplerNames.entry("DPM++ 2M").flatMap(Label::automaticScheduler));
        assertEquals(Optional.of("exponential"), A1111SamplerNames.entry("k_dpmpp_3m_sde").flatMap(Label::automaticScheduler));
        assertEquals(Optional.empty(), A1111SamplerNames.entry("Euler a").flatMap(Label::automaticScheduler));
        assertEquals(List.of("k_euler_a", "k_euler_ancestral"), A1111SamplerNames.entry("euler A").orElseThrow().aliases());
        assertEquals(List.of("restart"), A1111SamplerNames.entry("Restart").orElseThrow().aliases());
        assertEquals(new Choice("lcm", Optional.empty()), A1111SamplerNames.resolve("LCM"));
        assertEquals(Optional.empty(), A1111SamplerNames.entry("DPM++ 2M Karras"));
    }

    /** The infotext's names under A1111's profile: the menu label A1111 writes, and back. */
    @Test
    void catalogueNamesGetA1111sLabelsWhereItHasThem() {
        assertEquals(Optional.of("DPM++ 2M"), A1111SamplerNames.label("dpmpp_2m"));
        assertEquals(Optional.of("Euler a"), A1111SamplerNames.label("euler_ancestral"));
        assertEquals(Optional.of("UniPC"), A1111SamplerNames.label("uni_pc"));
        assertEquals(Optional.empty(), A1111SamplerNames.label("ipndm"), "not in A1111's menu");
        assertEquals(Optional.of("Karras"), A1111SamplerNames.scheduleLabel("karras"));
        assertEquals(Optional.of("Normal"), A1111SamplerNames.scheduleLabel("normal"), "never Automatic");
        assertEquals(Optional.of("Align Your Steps"), A1111SamplerNames.scheduleLabel("ays"));
        assertEquals(Optional.of("DDIM"), A1111SamplerNames.scheduleLabel("ddim_uniform"));
        assertEquals(Optional.empty(), A1111SamplerNames.scheduleLabel("linear_quadratic"));
        for (A1111SamplerNames.Label l : A1111SamplerNames.entries()) {
            String label = A1111SamplerNames.label(l.sampler()).orElseThrow();
            assertEquals(l.sampler(), A1111SamplerNames.resolve(label).sampler(), label);
        }
    }

    @Test
    void comfyNamesPassThrough() {
        for (String name : Samplers.names()) {
            assertEquals(new Choice(name, Optional.empty()), A1111SamplerNames.resolve(name));
        }
    }

    @Test
    void everyLabelResolvesToARegisteredSampler() {
        for (String label : A1111SamplerNames.labels()) {
            assertTrue(Samplers.names().contains(A1111SamplerNames.resolve(label).sampler()), label);
        }
    }

    @Test
    void unknownNameListsBothVocabularies() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> A1111SamplerNames.resolve("Euler b"));
        assertTrue(e.getMessage().contains("Euler b"), e.getMessage());
        assertTrue(e.getMessage().contains("DPM++ 2M"), e.getMessage());
        assertTrue(e.getMessage().contains("dpmpp_2m"), e.getMessage());
    }

    @Test
    void a1111ScheduleTypesAreRegisteredSchedulers() {
        // The labels of A1111's modules/sd_schedulers.py that have a catalogue counterpart.
        for (String label : new String[] {"Automatic", "Karras", "Exponential", "SGM Uniform", "KL Optimal",
            "Align Your Steps", "Simple", "Normal", "DDIM", "Beta"}) {
            assertTrue(dev.stepwise.core.schedule.Schedulers.names().contains(A1111SamplerNames.scheduler(label)), label);
        }
        assertEquals("karras", A1111SamplerNames.scheduler("karras"));
        assertEquals("file:vrg.json", A1111SamplerNames.scheduler("file:vrg.json"));
        assertEquals("sgm_uniform", A1111SamplerNames.scheduler("sgm uniform"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> A1111SamplerNames.scheduler("Polyexponential"));
        assertTrue(e.getMessage().startsWith("scheduler 'Polyexponential' is not known here; allowed:"), e.getMessage());
    }
}
