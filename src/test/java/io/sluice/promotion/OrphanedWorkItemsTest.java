package io.sluice.promotion;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.sluice.ingest.IngestPipeline;
import io.sluice.support.Db;

/**
 * Work items whose bronze row is gone (its partition dropped by retention), in the queue or requeued from quarantine,
 * are deleted the first time a round claims them, with a warning and the meter
 * {@code sluice_promotion_events_total{outcome="orphaned"}}: more of them than a batch holds do not stop promotion.
 */
@QuarkusTest
@TestProfile(ManualPromotionProfile.class)
class OrphanedWorkItemsTest {

    private static final String ORPHANS = """
            INSERT INTO bronze.promotion_queue (bronze_id, received_at, event_id, next_attempt_at)
            SELECT -(extract(epoch FROM clock_timestamp()) * 1000)::bigint * 1000 - g, now() - interval '40 days',
                   ? || '-orphan-' || g, now() - interval '1 hour'
            FROM generate_series(1, ?) g
            """;

    @Inject
    Promoter promoter;

    @Inject
    IngestPipeline pipeline;

    @Inject
    Replays replays;

    @Inject
    MeterRegistry registry;

    @Test
    void queuedOrphansMoreThanABatchAreDeletedOnceAndTheRealEventsArePromoted() {
        String run = "orph-" + UUID.randomUUID().toString().substring(0, 8);
        Db.execute(ORPHANS, run, 450);
        Workload w = new Workload(91, 120);
        Promotions.land(pipeline, w, w.events, 60);
        double before = orphaned();

        drain();

        assertThat(Db.count("SELECT count(*) FROM bronze.promotion_queue WHERE event_id LIKE ?", run + "%")).isZero();
        assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id LIKE ?", w.prefix + "%"))
                .isEqualTo(120);
        assertThat(orphaned() - before).isEqualTo(450);
        assertThat(Promotions.goldDifferences()).isEmpty();

        drain();
        assertThat(orphaned() - before).as("an orphan is counted once").isEqualTo(450);
    }

    @Test
    void aRequeuedQuarantinedOrphanIsDeletedInsteadOfClaimedAgain() {
        String eventId = "orph-" + UUID.randomUUID().toString().substring(0, 8) + "-quarantined";
        Db.execute("""
                INSERT INTO bronze.quarantine (bronze_id, received_at, event_id, attempts, error)
                VALUES (-(extract(epoch FROM clock_timestamp()) * 1000)::bigint, now() - interval '40 days', ?, 3,
                        'boom')""", eventId);
        double before = orphaned();

        assertThat(replays.requeue(Optional.of(eventId)).await().atMost(Duration.ofSeconds(30))).isEqualTo(1);
        drain();

        assertThat(Db.count("SELECT count(*) FROM bronze.promotion_queue WHERE event_id = ?", eventId)).isZero();
        assertThat(Db.count("SELECT count(*) FROM bronze.quarantine WHERE event_id = ?", eventId)).isZero();
        assertThat(orphaned() - before).isEqualTo(1);
    }

    private double orphaned() {
        var counter = registry.find("sluice.promotion.events").tag("outcome", "orphaned").counter();
        return counter == null ? 0 : counter.count();
    }

    private void drain() {
        promoter.drain().await().atMost(Duration.ofSeconds(60));
    }
}
