package io.sluice.promotion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.sluice.ingest.IngestPipeline;
import io.sluice.support.Db;

/**
 * A promoter cut off from PostgreSQL in the middle of a batch leaves nothing half-written: its transaction has
 * written silver rows but holds them uncommitted when the connection dies, so silver, gold and the work queue are as
 * before; once the database is back, promotion resumes and completes.
 */
@QuarkusTest
@TestProfile(ManualProxiedPromotionProfile.class)
class PromotionInterruptedTest {

    private static final String WAITING_PROMOTION = """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%gold.lock_skus%'""";
    private static final String ANY_PROMOTION = """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND query LIKE '%gold.lock_skus%' AND pid <> pg_backend_pid()""";

    @Inject
    Promoter promoter;

    @Inject
    IngestPipeline pipeline;

    @Test
    void aPromoterCutOffMidBatchLeavesNothingHalfWritten() throws Exception {
        ManualProxiedPromotionProfile.proxy();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            drain();
            assertThat(unpromoted()).isZero();
        });
        Workload w = new Workload(61, 150);
        Promotions.land(pipeline, w, w.deliveries(7), 500);
        String like = w.prefix + "%";
        long landed = Db.count("SELECT count(*) FROM bronze.events WHERE event_id LIKE ?", like);
        assertThat(landed).isGreaterThanOrEqualTo(150);
        assertThat(unpromoted()).isEqualTo(landed);

        CompletableFuture<Void> promotion;
        try (Connection blocker = Db.connect()) {
            // hold the sku lock gold takes after the silver upsert: the promoter stops right in the middle
            blocker.setAutoCommit(false);
            try (PreparedStatement lock = blocker.prepareStatement(
                    "SELECT pg_advisory_xact_lock(hashtextextended('sluice.dim_product:' || ?, 0))")) {
                lock.setString(1, w.sku(0));
                lock.execute();
            }
            promotion = promoter.drain().subscribeAsCompletionStage();
            await().atMost(Duration.ofSeconds(30)).until(() -> Db.count(WAITING_PROMOTION) == 1);
            assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id LIKE ?", like)).isZero();

            ManualProxiedPromotionProfile.proxy().cut();
            blocker.commit();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> Db.count(ANY_PROMOTION) == 0);

        assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id LIKE ?", like)).isZero();
        assertThat(Db.count("SELECT count(*) FROM silver.order_items WHERE event_id LIKE ?", like)).isZero();
        assertThat(Db.count("SELECT count(*) FROM gold.fact_order_line WHERE event_id LIKE ?", like)).isZero();
        assertThat(Db.count("SELECT count(*) FROM gold.daily_product_metrics WHERE sku LIKE ?", like)).isZero();
        assertThat(Db.count("SELECT count(*) FROM gold.dim_customer WHERE user_id LIKE ?", like)).isZero();
        assertThat(unpromoted()).isEqualTo(landed);
        assertThat(Db.count("SELECT count(*) FROM bronze.promotion_queue WHERE attempts > 0")).isZero();

        ManualProxiedPromotionProfile.proxy().restore();
        try {
            promotion.get(90, TimeUnit.SECONDS);
        } catch (ExecutionException retriesExhaustedDuringTheCut) {
            drain();
        }
        drain();

        assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id LIKE ?", like)).isEqualTo(150);
        assertThat(unpromoted()).isZero();
        assertThat(Promotions.goldDifferences()).isEmpty();
    }

    /** Events waiting for promotion: in landed batches and in work items. */
    private static long unpromoted() {
        return Db.count("SELECT (SELECT coalesce(sum(events), 0) FROM bronze.promotion_batches)"
                + " + (SELECT count(*) FROM bronze.promotion_queue)");
    }

    private void drain() {
        promoter.drain().await().atMost(Duration.ofSeconds(90));
    }
}
