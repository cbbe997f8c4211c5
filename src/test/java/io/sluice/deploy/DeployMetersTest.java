package io.sluice.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.sluice.metrics.Scrape;

/** Every sluice_* meter that the alerts and the dashboard in deploy/ name is one Sluice exposes on /q/metrics. */
@QuarkusTest
class DeployMetersTest {

    @Test
    void alertsAndDashboardNameOnlyMetersSluiceExposes() throws Exception {
        Set<String> exposed = new HashSet<>(Scrape.sampleNames(Scrape.prometheusTextAfterTraffic()));
        Set<String> used = DeployManifestsTest.meterNamesUsed();

        assertThat(used).isNotEmpty().contains("sluice_promotion_lag_seconds", "sluice_kafka_dead_letters_total",
                "sluice_events_received_total", "sluice_promotion_events_total");
        assertThat(exposed).containsAll(used);
    }
}
