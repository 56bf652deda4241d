package dev.stepwise.core.param;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Checked parameter values for one sampler or scheduler: every declared parameter has a value (given or
 * default), every given name is declared, and every value is in range.
 */
public final class Options {
    private final Map<String, Object> values;

    private Options(Map<String, Object> values) {
        this.values = values;
    }

    /**
     * Resolves given values (text or numbers) against the declared parameters.
     *
     * @throws IllegalArgumentException naming the owner and the bad parameter, with what is allowed
     */
    public static Options resolve(String owner, List<Parameter> declared, Map<String, ?> given) {
        Map<String, Object> v = new LinkedHashMap<>();
        for (Parameter p : declared) {
            v.put(p.name(), p.type() == Parameter.Type.CHOICE ? p.choices().get(0) : (Object) p.defaultValue());
        }
        for (Map.Entry<String, ?> e : given.entrySet()) {
            Parameter p = declared.stream().filter(d -> d.name().equals(e.getKey())).findFirst().orElse(null);
            if (p == null) {
                String allowed = declared.isEmpty() ? "it has no parameters"
                        : "allowed: " + declared.stream().map(Parameter::name).collect(Collectors.joining(", "));
                throw new IllegalArgumentException(owner + " has no parameter '" + e.getKey() + "'; " + allowed);
            }
            v.put(p.name(), p.parse(owner, e.getValue()));
        }
        return new Options(Collections.unmodifiableMap(v));
    }

    public double real(String name) {
        return ((Number) get(name)).doubleValue();
    }

    public int integer(String name) {
        return (int) Math.round(real(name));
    }

    public String choice(String name) {
        return (String) get(name);
    }

    private Object get(String name) {
        Object o = values.get(name);
        if (o == null) {
            throw new IllegalStateException("parameter '" + name + "' is not declared");
        }
        return o;
    }

    /** All values, in declaration order. */
    public Map<String, Object> asMap() {
        return values;
    }

    @Override
    public String toString() {
        return values.entrySet().stream()
                .map(e -> e.getKey() + "=" + (e.getValue() instanceof Double d ? Parameter.format(d) : e.getValue()))
                .collect(Collectors.joining(", "));
    }
}
