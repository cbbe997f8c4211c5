package io.sluice.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * Data-quality expectations (SPEC.md section 12), checked on what promotion writes to silver. Each expectation has a
 * name (its label in meters and results) and a kind; {@code quality/Expectations} validates them at start-up and
 * refuses to start on a bad one, naming the key.
 */
@ConfigMapping(prefix = "sluice.quality")
public interface QualityConfig {

    /** Count and evaluate expectations in this instance. Off: promotion writes no counters, nothing is evaluated. */
    @WithDefault("true")
    boolean enabled();

    /** Period of the evaluator, which turns the hourly counters into results, meters and the failing gauge. */
    @WithDefault("30s")
    Duration evaluateInterval();

    /** Hourly counters older than this are deleted (volume compares with the trailing week, so keep 8 days). */
    @WithDefault("P8D")
    Duration counterRetention();

    /** Results (one row per expectation and hourly window) older than this are deleted. */
    @WithDefault("P30D")
    Duration resultRetention();

    /**
     * A freshness expectation {@code freshness-<source>} for every enabled webhook partner and every pull source,
     * with this maximum age of the newest event; absent: none. An expectation configured with that name wins.
     */
    Optional<Duration> defaultFreshness();

    /** Expectations by name (lowercase letters, digits and dashes). */
    Map<String, Expectation> expectations();

    interface Expectation {

        /** {@code not-null}, {@code unique}, {@code accepted-values}, {@code range}, {@code freshness} or {@code volume}. */
        String kind();

        /** Switch one expectation off without deleting its keys. */
        @WithDefault("true")
        boolean enabled();

        /** Event types the expectation applies to; absent: every type. */
        Optional<List<String>> eventTypes();

        /** Sources (partner, topic, pull source or backfill source) it applies to; absent: every source. */
        Optional<List<String>> sources();

        /**
         * Field path in the canonical event ({@code user_id}, {@code product.price}, {@code order.order_id},
         * {@code properties.<key>}...); required by not-null, unique, accepted-values and range.
         */
        Optional<String> field();

        /**
         * Largest share of checked rows in a window that may fail (be null, a duplicate, not accepted, out of range),
         * from 0 to 1.
         */
        @WithDefault("0")
        double maxRatio();

        /** Fewer checked rows than this in a window give no verdict ({@code no_data}) instead of a noisy ratio. */
        @WithDefault("10")
        long minRows();

        /** accepted-values: the accepted values (compared as text). */
        Optional<List<String>> values();

        /** range: the smallest accepted value (inclusive). */
        Optional<BigDecimal> min();

        /** range: the largest accepted value (inclusive). */
        Optional<BigDecimal> max();

        /** freshness: the newest event's {@code occurred_at} may be at most this old. */
        Optional<Duration> maxAge();

        /**
         * volume: an hour's new events must lie within [baseline / factor, baseline * factor], the baseline being the
         * mean of the same hour on the 7 days before.
         */
        @WithDefault("3")
        double factor();

        /** volume: a baseline under this many events per hour gives no verdict ({@code no_data}). */
        @WithDefault("10")
        double minBaseline();
    }
}
