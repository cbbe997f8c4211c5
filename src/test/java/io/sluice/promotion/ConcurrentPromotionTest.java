package io.sluice.promotion;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.Uni;
import io.sluice.ingest.IngestPipeline;
import io.sluice.support.Db;

/**
 * Two promoters, each with several transactions in flight (sluice.promotion.concurrency), drain one backlog: silver
 * and gold, SCD 2 history included, equal those of a promotion of the same events one at a time, in arrival order;
 * for live traffic with late events and for traffic about one sku; the I3 check is empty after every run.
 */
@QuarkusTest
@TestProfile(ManualPromotionProfile.class)
class ConcurrentPromotionTest {

    @Inject
    Promoter promoter;

    @Inject
    IngestPipeline pipeline;

    @Test
    void liveTrafficWithLateEventsGivesTheSameTablesAsOneEventAtATime() {
        var day = Workload.randomDay();
        Workload alone = new Workload(81, 400, day);
        Workload together = new Workload(81, 400, day);
        oneAtATime(alone, alone.live(3, 0.05));
        concurrently(together, together.live(3, 0.05));
        assertSameTables(alone, together);
    }

    @Test
    void trafficAboutOneSkuGivesTheSameTablesAsOneEventAtATime() {
        var day = Workload.randomDay();
        Workload alone = new Workload(82, 400, day, 1, 30);
        Workload together = new Workload(82, 400, day, 1, 30);
        oneAtATime(alone, alone.shuffled(5));
        concurrently(together, together.shuffled(5));
        assertSameTables(alone, together);
    }

    private void oneAtATime(Workload w, List<Workload.Delivery> deliveries) {
        for (Workload.Delivery delivery : deliveries) {
            Promotions.land(pipeline, w, List.of(delivery), 1);
            promoter.drain().await().atMost(Duration.ofSeconds(60));
        }
        assertThat(Promotions.goldDifferences()).isEmpty();
    }

    private void concurrently(Workload w, List<Workload.Delivery> deliveries) {
        Promotions.land(pipeline, w, deliveries, 50);
        Uni.combine().all().unis(promoter.drain(), promoter.drain()).discardItems()
                .await().atMost(Duration.ofMinutes(2));
        assertThat(Db.count("SELECT count(*) FROM bronze.promotion_queue WHERE event_id LIKE ?", w.prefix + "%"))
                .isZero();
        assertThat(Promotions.goldDifferences()).isEmpty();
    }

    private static void assertSameTables(Workload alone, Workload together) {
        Map<String, List<String>> expected = Promotions.dump(alone);
        assertThat(expected.get("gold.dim_product")).hasSizeGreaterThan(3);
        assertThat(expected.get("gold.fact_order_line")).isNotEmpty();
        assertThat(Promotions.dump(together)).isEqualTo(expected);
    }
}
