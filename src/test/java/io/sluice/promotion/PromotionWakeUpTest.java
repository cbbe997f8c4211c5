package io.sluice.promotion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.sluice.ingest.IngestPipeline;
import io.sluice.support.Db;
import io.sluice.support.Events;

/**
 * The promoter wakes on PostgreSQL NOTIFY from the landing transaction, not only on its sweep: with the sweep set to
 * an hour, a landed event still reaches silver and gold within seconds (30 s allowed on a loaded machine).
 */
@QuarkusTest
@TestProfile(PromotionWakeUpTest.HourlySweep.class)
class PromotionWakeUpTest {

    public static class HourlySweep implements QuarkusTestProfile {

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sluice.promotion.sweep-interval", "1h");
        }
    }

    @Inject
    IngestPipeline pipeline;

    @Test
    void aLandedEventIsPromotedByTheNotificationBeforeAnySweep() {
        String sku = "wake-" + Events.freshId();
        // the sweep runs once at start: wait until it has nothing left, so what follows is the notification's doing
        await().atMost(Duration.ofSeconds(60))
                .until(() -> Db
                        .count("SELECT count(*) FROM bronze.promotion_queue WHERE next_attempt_at <= now()") == 0);
        String eventId = Events.freshId();

        Promotions.landJson(pipeline, "wake",
                List.of(Events.productView(eventId, sku, "4.20", "2026-11-20T09:00:00Z")));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id = ?", eventId)).isOne();
            assertThat(Db.count("SELECT views FROM gold.daily_product_metrics WHERE sku = ?", sku)).isOne();
            assertThat(Db.count("SELECT count(*) FROM gold.dim_product WHERE sku = ? AND is_current", sku)).isOne();
        });
    }
}
