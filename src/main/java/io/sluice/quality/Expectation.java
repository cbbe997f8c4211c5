package io.sluice.quality;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

import io.sluice.silver.SilverEvent;

/**
 * One validated expectation. Empty {@code eventTypes} or {@code sources} mean all. Row kinds have a {@code field};
 * the others judge a source as a whole.
 */
public record Expectation(String name, Kind kind, Set<String> eventTypes, Set<String> sources, Optional<Field> field,
        double maxRatio, long minRows, Set<String> values, Optional<BigDecimal> min, Optional<BigDecimal> max,
        Optional<Duration> maxAge, double factor, double minBaseline) {

    /** What checking one written row gives. */
    public enum Check {
        /** The expectation does not apply to this row. */
        SKIPPED, PASSED, FAILED,
        /**
         * unique: the value is checked against silver's index in the counters' statement (not for silver's primary
         * key, which passes: its index holds one row per value).
         */
        PROBE
    }

    /** Whether the row is one of those the expectation applies to (event type and source). */
    public boolean appliesTo(SilverEvent event) {
        return (eventTypes.isEmpty() || eventTypes.contains(event.eventType()))
                && (sources.isEmpty() || sources.contains(event.source()));
    }

    /** Checks one row the expectation applies to (row kinds only). */
    public Check check(SilverEvent event) {
        String value = field.orElseThrow().text(event);
        return switch (kind) {
            case NOT_NULL -> value == null ? Check.FAILED : Check.PASSED;
            case UNIQUE -> value == null ? Check.SKIPPED : field.get().isPrimaryKey() ? Check.PASSED : Check.PROBE;
            case ACCEPTED_VALUES ->
                value == null ? Check.SKIPPED : values.contains(value) ? Check.PASSED : Check.FAILED;
            case RANGE -> value == null ? Check.SKIPPED : inRange(value) ? Check.PASSED : Check.FAILED;
            case FRESHNESS, VOLUME -> throw new IllegalStateException(kind + " is not checked per row");
        };
    }

    private boolean inRange(String value) {
        BigDecimal number;
        try {
            number = new BigDecimal(value);
        } catch (NumberFormatException e) {
            return false;
        }
        return min.map(m -> number.compareTo(m) >= 0).orElse(true)
                && max.map(m -> number.compareTo(m) <= 0).orElse(true);
    }

    /** The threshold as results show it: the allowed ratio, the maximum age in seconds, or the factor. */
    public double threshold() {
        return switch (kind) {
            case FRESHNESS -> maxAge.orElseThrow().toSeconds();
            case VOLUME -> factor;
            default -> maxRatio;
        };
    }
}
