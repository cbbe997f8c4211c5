package io.sluice.quality;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;

import io.quarkus.runtime.Startup;
import io.sluice.config.QualityConfig;
import io.sluice.config.SluiceConfig;

/**
 * The configured expectations, validated once at start-up: a bad one stops the service with a message naming each
 * wrong key ({@code sluice.quality.expectations.<name>.<key>}), never a half-working set.
 */
@ApplicationScoped
@Startup
public class Expectations {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final String PREFIX = "sluice.quality.expectations.";

    private final List<Expectation> all;

    public Expectations(QualityConfig quality, SluiceConfig sluice) {
        Set<String> sources = new TreeSet<>();
        sluice.webhook().partners().forEach((name, partner) -> {
            if (partner.enabled()) {
                sources.add(name);
            }
        });
        sources.addAll(sluice.pull().sources().keySet());
        this.all = quality.enabled() ? parse(quality, sources) : List.of();
    }

    /** Every enabled expectation, by name. */
    public List<Expectation> all() {
        return all;
    }

    public Optional<Expectation> named(String name) {
        return all.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /**
     * Validates the configuration; {@code configuredSources} get the default freshness expectation. Throws an
     * {@link IllegalArgumentException} listing every problem.
     */
    public static List<Expectation> parse(QualityConfig config, Set<String> configuredSources) {
        List<String> problems = new ArrayList<>();
        Map<String, Expectation> result = new TreeMap<>();
        config.defaultFreshness().ifPresent(age -> {
            if (age.isNegative() || age.isZero()) {
                problems.add("sluice.quality.default-freshness must be positive, not " + age);
                return;
            }
            for (String source : configuredSources) {
                String name = "freshness-" + source.toLowerCase().replaceAll("[^a-z0-9-]", "-");
                if (NAME.matcher(name).matches()) {
                    result.put(name, new Expectation(name, Kind.FRESHNESS, Set.of(), Set.of(source), Optional.empty(),
                            0, 1, Set.of(), Optional.empty(), Optional.empty(), Optional.of(age), 3, 10));
                }
            }
        });
        config.expectations().forEach((name, e) -> {
            Optional<Expectation> parsed = parse(name, e, problems);
            if (!e.enabled()) {
                result.remove(name);
            } else {
                parsed.ifPresent(p -> result.put(name, p));
            }
        });
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid data-quality expectations: " + String.join("; ", problems));
        }
        return List.copyOf(result.values());
    }

    private static Optional<Expectation> parse(String name, QualityConfig.Expectation e, List<String> problems) {
        String key = PREFIX + name + ".";
        int before = problems.size();
        if (!NAME.matcher(name).matches()) {
            problems.add("expectation name '" + name + "' must be lowercase letters, digits and dashes (at most 63)");
        }
        Optional<Kind> kind = Kind.of(e.kind());
        if (kind.isEmpty()) {
            problems.add(key + "kind is '" + e.kind() + "'; one of not-null, unique, accepted-values, range, "
                    + "freshness, volume");
            return Optional.empty();
        }
        Optional<Field> field = Optional.empty();
        if (kind.get().perRow()) {
            if (e.field().isEmpty()) {
                problems.add(key + "field is required for " + e.kind());
            } else {
                field = Field.of(e.field().get());
                if (field.isEmpty()) {
                    problems.add(key + "field '" + e.field().get() + "' is not a known field path; known: "
                            + Field.known());
                } else if (kind.get() == Kind.UNIQUE && field.get().uniqueColumn().isEmpty()) {
                    problems.add(key + "field '" + e.field().get() + "' has no index in silver.events, so its "
                            + "uniqueness cannot be checked without a scan; unique works on event_id, user_id, "
                            + "product.sku, order.order_id");
                }
            }
        } else if (e.field().isPresent()) {
            problems.add(key + "field does not apply to " + e.kind());
        }
        if (e.maxRatio() < 0 || e.maxRatio() > 1) {
            problems.add(key + "max-ratio must be between 0 and 1, not " + e.maxRatio());
        }
        if (e.minRows() < 1) {
            problems.add(key + "min-rows must be at least 1, not " + e.minRows());
        }
        switch (kind.get()) {
            case ACCEPTED_VALUES -> {
                if (e.values().isEmpty() || e.values().get().isEmpty()) {
                    problems.add(key + "values is required for accepted-values");
                }
            }
            case RANGE -> {
                if (e.min().isEmpty() && e.max().isEmpty()) {
                    problems.add(key + "min or max is required for range");
                } else if (e.min().isPresent() && e.max().isPresent() && e.min().get().compareTo(e.max().get()) > 0) {
                    problems.add(key + "min " + e.min().get() + " is above max " + e.max().get());
                }
            }
            case FRESHNESS -> {
                if (e.maxAge().isEmpty() || e.maxAge().get().isNegative() || e.maxAge().get().isZero()) {
                    problems.add(key + "max-age (a positive duration such as 1h) is required for freshness");
                }
            }
            case VOLUME -> {
                if (!(e.factor() > 1)) {
                    problems.add(key + "factor must be above 1, not " + e.factor());
                }
                if (e.minBaseline() < 0) {
                    problems.add(key + "min-baseline must not be negative");
                }
            }
            default -> {
            }
        }
        if (problems.size() > before) {
            return Optional.empty();
        }
        return Optional.of(new Expectation(name, kind.get(), Set.copyOf(e.eventTypes().orElse(List.of())),
                Set.copyOf(e.sources().orElse(List.of())), field, e.maxRatio(), e.minRows(),
                Set.copyOf(e.values().orElse(List.of())), e.min(), e.max(), e.maxAge(), e.factor(),
                e.minBaseline()));
    }
}
