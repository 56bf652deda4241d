package dev.stepwise.onnx.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stepwise.core.CompatProfile;
import dev.stepwise.core.samplers.A1111SamplerNames;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The generation parameters in AUTOMATIC1111's "infotext" layout, as stored in a PNG's
 * {@code parameters} text chunk and read back by A1111's "PNG Info" tab and by most image browsers:
 * <pre>
 * prompt
 * Negative prompt: ...
 * Steps: 20, Sampler: dpmpp_2m, Schedule type: karras, CFG scale: 3, Seed: 42, Size: 28x28, Model: fashion-eps
 * </pre>
 * The negative prompt line is left out when the negative prompt is empty; a value holding ',', ':' or a
 * line break is written as a JSON string; the whole text is stripped of surrounding white space (all as
 * A1111's {@code create_infotext} does). Sampler and schedule names are ComfyUI's
 * (A1111's labels under its profile, {@link #forRun}).
 */
public record Infotext(String prompt, String negativePrompt, int steps, String sampler, String scheduleType,
                       double cfgScale, long seed, int width, int height, String model, Map<String, String> extra) {

    /** The infotext key that records a profile other than ComfyUI's. */
    public static final String COMPAT = "Compat";

    private static final ObjectMapper JSON = new ObjectMapper();

    public Infotext {
        prompt = prompt == null ? "" : prompt;
        negativePrompt = negativePrompt == null ? "" : negativePrompt;
        extra = Collections.unmodifiableMap(new LinkedHashMap<>(extra == null ? Map.of() : extra));
    }

    public Infotext(String prompt, String negativePrompt, int steps, String sampler, String scheduleType,
                    double cfgScale, long seed, int width, int height, String model) {
        this(prompt, negativePrompt, steps, sampler, scheduleType, cfgScale, seed, width, height, model, Map.of());
    }

    /**
     * A run's infotext under {@code compat}. Under A1111's naming the sampler and schedule carry A1111's labels where
     * it has them ("DPM++ 2M", "Karras"), so that its PNG Info sends the same settings back; ComfyUI names stay for
     * the rest. The generator is named ("RNG: NV", "RNG: CPU") only when it is not the profile's own, as A1111 names a
     * non-default noise source (modules/processing.py create_infotext), and the profile ("Compat: a1111") only when
     * it is not ComfyUI's, the default: an image without the field was made under ComfyUI's conventions.
     */
    public static Infotext forRun(CompatProfile compat, String prompt, String negativePrompt, int steps, String sampler,
                                  String scheduler, double cfgScale, long seed, int width, int height, String model) {
        boolean a1111 = compat.samplers() == CompatProfile.SamplerNaming.A1111;
        Infotext t = new Infotext(prompt, negativePrompt, steps,
                a1111 ? A1111SamplerNames.label(sampler).orElse(sampler) : sampler,
                a1111 ? A1111SamplerNames.scheduleLabel(scheduler).orElse(scheduler) : scheduler,
                cfgScale, seed, width, height, model);
        if (!compat.defaultRng()) {
            t = t.with("RNG", compat.rng().cliName().toUpperCase(java.util.Locale.ROOT));
        }
        return compat.name().equals(CompatProfile.COMFYUI.name()) ? t : t.with(COMPAT, compat.name());
    }

    /** A copy with one more "key: value" pair after the standard ones (for example "Denoising strength"). */
    public Infotext with(String key, String value) {
        Map<String, String> e = new LinkedHashMap<>(extra);
        e.put(key, value);
        return new Infotext(prompt, negativePrompt, steps, sampler, scheduleType, cfgScale, seed, width, height, model, e);
    }

    /** The infotext string. */
    public String format() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("Steps", Integer.toString(steps));
        p.put("Sampler", sampler);
        p.put("Schedule type", scheduleType);
        p.put("CFG scale", number(cfgScale));
        p.put("Seed", Long.toString(seed));
        p.put("Size", width + "x" + height);
        p.put("Model", model);
        p.putAll(extra);
        StringBuilder params = new StringBuilder();
        for (Map.Entry<String, String> e : p.entrySet()) {
            if (e.getValue() == null) {
                continue;
            }
            if (!params.isEmpty()) {
                params.append(", ");
            }
            // A1111 writes a bare key when key and value are equal.
            params.append(e.getKey().equals(e.getValue()) ? e.getKey() : e.getKey() + ": " + quote(e.getValue()));
        }
        String negative = negativePrompt.isEmpty() ? "" : "\nNegative prompt: " + negativePrompt;
        return (prompt + negative + "\n" + params).strip();
    }

    @Override
    public String toString() {
        return format();
    }

    /** One "key: value" pair of an infotext's last line; a value may be a JSON string holding ',' or ':'. */
    private static final Pattern PARAM = Pattern.compile("\\s*(\\w[\\w \\-/]+):\\s*(\"(?:\\\\.|[^\\\\\"])+\"|[^,]*)(?:,|$)");

    /**
     * Reads an infotext back into its fields, as A1111's {@code parse_generation_parameters} does: "Prompt",
     * "Negative prompt" (when there is one), then every "key: value" of the last line in order, JSON-quoted values
     * unquoted; "Size" is also given as "Size-1" (width) and "Size-2" (height). A last line with fewer than three pairs
     * is taken as part of the prompt, as A1111 does.
     */
    public static Map<String, String> parse(String text) {
        List<String> lines = new ArrayList<>(List.of(text.strip().split("\n", -1)));
        Map<String, String> params = new LinkedHashMap<>();
        String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        Matcher m = PARAM.matcher(last);
        List<String[]> pairs = new ArrayList<>();
        while (m.find()) {
            if (m.group(1) != null && !m.group(0).isBlank()) {
                pairs.add(new String[] {m.group(1).strip(), m.group(2).strip()});
            }
        }
        if (pairs.size() >= 3) {
            lines.remove(lines.size() - 1);
        } else {
            pairs.clear();
        }
        StringBuilder prompt = new StringBuilder(), negative = new StringBuilder();
        boolean inNegative = false;
        for (String line : lines) {
            String l = line.strip();
            if (l.startsWith("Negative prompt:")) {
                inNegative = true;
                l = l.substring("Negative prompt:".length()).strip();
            }
            StringBuilder b = inNegative ? negative : prompt;
            b.append(b.isEmpty() ? "" : "\n").append(l);
        }
        params.put("Prompt", prompt.toString());
        if (inNegative) {
            params.put("Negative prompt", negative.toString());
        }
        for (String[] kv : pairs) {
            String v = kv[1];
            if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                try {
                    v = JSON.readValue(v, String.class);
                } catch (JsonProcessingException e) {
                    // not valid JSON after all: keep the text as written
                }
            }
            params.put(kv[0], v);
            Matcher size = SIZE.matcher(v);
            if (kv[0].equals("Size") && size.matches()) {
                params.put("Size-1", size.group(1));
                params.put("Size-2", size.group(2));
            }
        }
        return params;
    }

    private static final Pattern SIZE = Pattern.compile("^(\\d+)x(\\d+)$");

    /** A1111's {@code quote}: plain unless the value holds ',', ':' or a line break, then a JSON string. */
    static String quote(String v) {
        if (v.indexOf(',') < 0 && v.indexOf(':') < 0 && v.indexOf('\n') < 0) {
            return v;
        }
        try {
            return JSON.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whole numbers without a fraction ("3"), others in their shortest decimal form ("3.5", "0.0001"); one whose
     * decimal form is long (cfg 1e-300 has 300 digits) in Java's exponent form ("1.0E-300"), which A1111 reads too.
     */
    public static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        String plain = BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
        return plain.length() <= 24 ? plain : Double.toString(v);
    }
}
