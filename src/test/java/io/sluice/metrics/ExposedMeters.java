package io.sluice.metrics;

import java.util.Set;

/** The sluice_* series of SPEC.md section 8, as Prometheus sees them. */
public final class ExposedMeters {

    /** Series this build exposes once traffic went through (tagged counters appear on first use). */
    public static final Set<String> IN_THIS_BUILD = Set.of(
            "sluice_events_received_total",
            "sluice_bronze_write_seconds_bucket", "sluice_bronze_write_seconds_count",
            "sluice_bronze_write_seconds_sum",
            "sluice_promotion_events_total",
            "sluice_promotion_latency_seconds_bucket", "sluice_promotion_latency_seconds_count",
            "sluice_promotion_latency_seconds_sum",
            "sluice_promotion_lag_seconds",
            "sluice_webhook_auth_failures_total",
            "sluice_kafka_dead_letters_total");

    private ExposedMeters() {
    }
}
