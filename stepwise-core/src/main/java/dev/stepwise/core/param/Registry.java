package dev.stepwise.core.param;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Entries (samplers, schedulers) keyed by their ecosystem names, in catalogue order. Looking up an unknown
 * name fails with a message that lists every allowed name.
 */
public final class Registry<T> {
    private final String kind;
    private final Function<T, String> nameOf;
    private final Map<String, T> byName = new LinkedHashMap<>();

    /** @param kind what the entries are, for messages ("sampler", "scheduler") */
    public Registry(String kind, Function<T, String> nameOf, List<T> entries) {
        this.kind = kind;
        this.nameOf = nameOf;
        entries.forEach(this::add);
    }

    /** Adds an entry; a name may be registered only once. */
    public void add(T entry) {
        String name = nameOf.apply(entry);
        if (byName.putIfAbsent(name, entry) != null) {
            throw new IllegalStateException(kind + " " + name + " registered twice");
        }
    }

    public List<T> all() {
        return List.copyOf(byName.values());
    }

    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    public Optional<T> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The entry of that name; the error lists the allowed names. */
    public T get(String name) {
        T entry = byName.get(name);
        if (entry == null) {
            throw new IllegalArgumentException("unknown " + kind + " '" + name + "'; allowed: " + String.join(", ", byName.keySet()));
        }
        return entry;
    }
}
