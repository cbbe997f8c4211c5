package io.sluice.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.sluice.metrics.ExposedMeters;
import io.sluice.metrics.Scrape;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Signer;

/** Every sluice_* meter that the alerts and the dashboard in deploy/ name is one Sluice exposes on /q/metrics. */
@QuarkusTest
class DeployMetersTest {

    @Test
    void alertsAndDashboardNameOnlyMetersSluiceExposes() throws Exception {
        String eventId = Events.freshId();
        Signer.post(Events.pageView(eventId)).then().statusCode(202);
        Signer.signed(Signer.DEV_SECRET, "msg_" + eventId, Instant.now().getEpochSecond() - 3600,
                Events.pageView(eventId), "application/json").when().post("/v1/webhooks/dev").then().statusCode(401);
        await().atMost(Duration.ofSeconds(20))
                .until(() -> Db.count("SELECT count(*) FROM silver.events WHERE event_id = ?", eventId) == 1);

        Set<String> exposed = new HashSet<>(Scrape.sampleNames(Scrape.prometheusText()));
        Set<String> used = DeployManifestsTest.meterNamesUsed();

        assertThat(used).isNotEmpty().contains("sluice_promotion_lag_seconds", "sluice_kafka_dead_letters_total",
                "sluice_events_received_total", "sluice_promotion_events_total");
        assertThat(exposed).containsAll(used);
    }
}
