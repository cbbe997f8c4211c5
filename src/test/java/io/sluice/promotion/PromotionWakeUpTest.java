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
 * The promoter wakes when events land, not only on its sweep: with the sweep set to an hour, an event landed by this
 * instance (the in-process signal) and a batch landed by another instance (its NOTIFY, sent after the landing
 * commit) still reach silver and gold within seconds (30 s allowed on a loaded machine).
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
                .until(() -> Db.count("""
                        SELECT (SELECT count(*) FROM bronze.promotion_queue WHERE next_attempt_at <= now())
                             + (SELECT count(*) FROM bronze.promotion_batches)""") == 0);
        String eventId = Events.freshId();

        Promotions.landJson(pipeline, "wake",
                List.of(Events.productView(eventId, sku, "4.20", "2026-11-20T09:00:00Z")));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id = ?", eventId)).isOne();
            assertThat(Db.count("SELECT views FROM gold.daily_product_metrics WHERE sku = ?", sku)).isOne();
            assertThat(Db.count("SELECT count(*) FROM gold.dim_product WHERE sku = ? AND is_current", sku)).isOne();
        });
    }

    @Test
    void aBatchLandedByAnotherInstanceIsPromotedOnItsNotification() {
        String sku = "wake-other-" + Events.freshId();
        String eventId = Events.freshId();
        String json = Events.productView(eventId, sku, "4.20", "2026-11-20T09:00:00Z");
        // what another instance's landing statement writes (migration V8), then its notification
        Db.execute("""
                WITH b AS (SELECT nextval('bronze.landing_batch_seq') AS id, now() AS at),
                e AS (INSERT INTO bronze.events (id, event_id, event_type, channel, source, received_at, payload,
                                                 payload_hash)
                      SELECT id * 65536, ?, 'product_view', 'webhook', 'elsewhere', at, ?::jsonb,
                             sha256(convert_to(?, 'UTF8')) FROM b)
                INSERT INTO bronze.promotion_batches (batch_id, received_at, events) SELECT id, at, 1 FROM b""",
                eventId, json, json);
        Db.rows("SELECT pg_notify('sluice_bronze', '') AS sent");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id = ?", eventId)).isOne();
            assertThat(Db.count("SELECT views FROM gold.daily_product_metrics WHERE sku = ?", sku)).isOne();
        });
    }
}
