package io.sluice.promotion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.Uni;
import io.sluice.ingest.IngestPipeline;
import io.sluice.support.Db;

/**
 * Promotion against the real PostgreSQL, driven by hand (the promoter's own sweep is off): exactly-once effect under
 * redeliveries (I3), independence from delivery order, two promoters on one backlog (I5) and replays (I7).
 */
@QuarkusTest
@TestProfile(ManualPromotionProfile.class)
class PromotionTest {

    @Inject
    Promoter promoter;

    @Inject
    IngestPipeline pipeline;

    @Inject
    Replays replays;

    @Test
    void redeliveriesAcrossBatchesAndChannelsCountOnceAndGoldEqualsAFreshAggregation() {
        Workload w = new Workload(11, 3000);
        List<Workload.Delivery> deliveries = w.deliveries(12);
        List<Workload.Delivery> corrections = corrections(w, 100);
        int third = deliveries.size() / 3;

        Promotions.land(pipeline, w, deliveries.subList(0, third), 250);
        drain();
        Promotions.land(pipeline, w, deliveries.subList(third, 2 * third), 500);
        drain();
        // later deliveries with a different payload replace rows promoted before (the later delivery wins)
        Promotions.land(pipeline, w, deliveries.subList(2 * third, deliveries.size()), 400);
        Promotions.land(pipeline, w, corrections, 100);
        drain();

        String like = w.prefix + "%";
        assertThat(deliveries.size()).isGreaterThan(w.events.size() * 3 / 2);
        assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id LIKE ?", like)).isEqualTo(3000);
        assertThat(Promotions.awaiting(like)).isZero();
        assertThat(Db.count("SELECT count(*) FROM bronze.quarantine WHERE event_id LIKE ?", like)).isZero();
        assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id LIKE ? AND user_id LIKE '%-corrected'",
                like)).isEqualTo(100);
        long purchases = w.events.stream().filter(e -> e.json().contains("\"purchase\"")).count();
        assertThat(Db.count("SELECT sum(orders) FROM gold.daily_revenue WHERE currency = ? AND day >= ? AND day < ?",
                w.currency, w.firstDay, w.firstDay.plusDays(4))).isEqualTo(purchases);
        assertThat(
                Db.count("SELECT count(*) FROM gold.dim_customer WHERE user_id LIKE ? AND user_id LIKE '%-corrected'",
                        like))
                .isPositive();
        assertThat(Promotions.goldDifferences()).isEmpty();
    }

    @Test
    void twoRandomDeliveryOrdersGiveIdenticalSilverAndGoldWithScd2History() {
        var day = Workload.randomDay();
        Workload first = new Workload(21, 1500, day);
        Workload second = new Workload(21, 1500, day);

        landAndDrainInRandomSteps(first, first.deliveries(1), new Random(2));
        landAndDrainInRandomSteps(second, second.deliveries(3), new Random(4));

        Map<String, List<String>> a = Promotions.dump(first);
        assertThat(a.get("gold.dim_product")).hasSizeGreaterThan(12 * 3);
        assertThat(a.get("gold.fact_order_line")).isNotEmpty();
        assertThat(Promotions.dump(second)).isEqualTo(a);
        assertThat(Promotions.goldDifferences()).isEmpty();
    }

    @Test
    void twoPromotersOnOneBacklogGiveTheSameTablesAsOne() {
        var day = Workload.randomDay();
        Workload alone = new Workload(31, 2000, day);
        Workload together = new Workload(31, 2000, day);
        Promotions.land(pipeline, alone, alone.deliveries(5), 500);
        drain();

        Promotions.land(pipeline, together, together.deliveries(5), 500);
        Uni.combine().all().unis(promoter.drain(), promoter.drain()).discardItems()
                .await().atMost(Duration.ofMinutes(2));

        assertThat(Promotions.awaiting(together.prefix + "%")).isZero();
        assertThat(Promotions.dump(together)).isEqualTo(Promotions.dump(alone));
        assertThat(Promotions.goldDifferences()).isEmpty();
    }

    @Test
    void replayingARangeConvergesToTheSameSilverAndGold() {
        Workload w = new Workload(41, 800);
        OffsetDateTime before = Db.rows("SELECT now() - interval '1 second' AS t").get(0)
                .get("t") instanceof java.sql.Timestamp t
                        ? t.toInstant().atOffset(java.time.ZoneOffset.UTC)
                        : OffsetDateTime.now().minusMinutes(1);
        Promotions.land(pipeline, w, w.deliveries(6), 300);
        drain();
        Map<String, List<String>> promoted = Promotions.dump(w);
        OffsetDateTime after = OffsetDateTime.now().plusMinutes(1);

        long webhook = replays.replay(before, after, Optional.of(w.prefix + "-partner")).await().indefinitely();
        long kafka = replays.replay(before, after, Optional.of(w.prefix + "-topic")).await().indefinitely();
        assertThat(webhook + kafka).isEqualTo(
                Db.count("SELECT count(*) FROM bronze.events WHERE event_id LIKE ?", w.prefix + "%"));
        drain();

        assertThat(Promotions.awaiting(w.prefix + "%")).isZero();
        assertThat(Promotions.dump(w)).isEqualTo(promoted);
        assertThat(Promotions.goldDifferences()).isEmpty();
    }

    private void landAndDrainInRandomSteps(Workload w, List<Workload.Delivery> deliveries, Random random) {
        int from = 0;
        while (from < deliveries.size()) {
            int to = Math.min(deliveries.size(), from + 50 + random.nextInt(600));
            Promotions.land(pipeline, w, deliveries.subList(from, to), 1 + random.nextInt(300));
            if (random.nextBoolean()) {
                drain();
            }
            from = to;
        }
        drain();
    }

    /** A later delivery with a different payload for some events: the user changes (and with it dim_customer). */
    private static List<Workload.Delivery> corrections(Workload w, int count) {
        List<Workload.Delivery> corrections = new ArrayList<>();
        for (Workload.Delivery event : w.events) {
            if (corrections.size() < count && event.json().contains("\"user_id\"")) {
                String json = event.json().replaceFirst("\"user_id\":\"([^\"]+)\"", "\"user_id\":\"$1-corrected\"");
                corrections.add(new Workload.Delivery(event.eventId(), json, false));
            }
        }
        return corrections;
    }

    private void drain() {
        promoter.drain().await().atMost(Duration.ofMinutes(2));
    }
}
