package io.sluice.promotion;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.sluice.bronze.BronzeWriter;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.vertx.mutiny.sqlclient.Pool;

/**
 * Events whose promotion fails: they fail alone (the rest of their batch is promoted), are tried again with backoff,
 * go to quarantine with the error after max-attempts (3 in the test profile), and are promoted once fixed and
 * requeued. Bronze rows are written straight through BronzeWriter: the ingest pipeline would refuse such payloads,
 * but an older, looser version of Sluice could have landed them.
 */
@QuarkusTest
@TestProfile(ManualPromotionProfile.class)
class PromotionFailureTest {

    @Inject
    Promoter promoter;

    @Inject
    Replays replays;

    @Inject
    Pool pool;

    @Inject
    BronzeWriter bronze;

    @Test
    void aTransformFailureIsRetriedThenQuarantinedAndPromotedAfterFixAndRequeue() {
        String bad = Events.freshId();
        String good = Events.freshId();
        double quarantinedBefore = meter("sluice_promotion_events_total", "outcome=\"quarantined\"");
        Promotions.landUnvalidated(pool, bronze, "failing", List.of(Events.pageView(good),
                Events.pageView(bad).replace("2026-11-20T10:00:00Z", "yesterday")));

        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(meter("sluice_promotion_lag_seconds", "")).isPositive());
        drain();

        assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id = ?", good)).isOne();
        assertThat(Db.rows("SELECT attempts, last_error FROM bronze.promotion_queue WHERE event_id = ?", bad))
                .singleElement().satisfies(row -> {
                    assertThat(row.get("attempts")).isEqualTo(1);
                    assertThat((String) row.get("last_error")).contains("occurred_at");
                });

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            drain();
            assertThat(Db.rows("SELECT attempts, error FROM bronze.quarantine WHERE event_id = ?", bad))
                    .singleElement().satisfies(row -> {
                        assertThat(row.get("attempts")).isEqualTo(3);
                        assertThat((String) row.get("error")).contains("occurred_at is not RFC 3339");
                    });
        });
        assertThat(Db.count("SELECT count(*) FROM bronze.promotion_queue WHERE event_id = ?", bad)).isZero();
        assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id = ?", bad)).isZero();
        assertThat(meter("sluice_promotion_events_total", "outcome=\"quarantined\"")).isEqualTo(quarantinedBefore + 1);
        assertThat(meter("sluice_promotion_events_total", "outcome=\"retried\"")).isGreaterThanOrEqualTo(2);

        // the fix: the operator repairs the bronze row, then requeues the event
        Db.execute("UPDATE bronze.events SET payload = jsonb_set(payload, '{occurred_at}', '\"2026-11-20T10:00:00Z\"')"
                + " WHERE event_id = ?", bad);
        assertThat(replays.requeue(Optional.of(bad)).await().atMost(Duration.ofSeconds(10))).isEqualTo(1);
        drain();

        assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id = ?", bad)).isOne();
        assertThat(Db.count("SELECT count(*) FROM bronze.quarantine WHERE event_id = ?", bad)).isZero();
        assertThat(Db.count("SELECT count(*) FROM bronze.promotion_queue WHERE event_id = ?", bad)).isZero();
    }

    @Test
    void anEventPostgresRefusesFailsAloneAndTheRestOfItsBatchIsPromoted() {
        String bad = Events.freshId();
        String batchId = Events.freshId();
        List<String> batch = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String id = batchId + "-" + i;
            batch.add(i % 2 == 0 ? Events.pageView(id) : Events.purchase(id, "SKU-F" + i, 1, "2.50"));
        }
        // transforms fine, but silver.order_items.sku is NOT NULL
        batch.add(10, Events.purchase(bad, "SKU-X", 1, "2.50").replace("\"sku\":\"SKU-X\",", ""));
        Promotions.landUnvalidated(pool, bronze, "failing", batch);

        drain();

        assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id LIKE ?", batchId + "-%")).isEqualTo(20);
        assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id = ?", bad)).isZero();
        assertThat(Db.rows("SELECT attempts, last_error FROM bronze.promotion_queue WHERE event_id = ?", bad))
                .singleElement().satisfies(row -> {
                    assertThat(row.get("attempts")).isEqualTo(1);
                    assertThat((String) row.get("last_error")).contains("null value");
                });
        assertThat(Promotions.goldDifferences()).isEmpty();
    }

    private void drain() {
        promoter.drain().await().atMost(Duration.ofSeconds(60));
    }

    /** The value of a series on /q/metrics (Prometheus text), by name and an optional label. */
    private static double meter(String name, String label) {
        String body = given().header("Accept", "text/plain; version=0.0.4").when().get("/q/metrics").then()
                .statusCode(200).extract().asString();
        return body.lines()
                .filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{") && line.contains(label))
                .findFirst()
                .map(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .orElseThrow(() -> new AssertionError(name + " " + label + " is not in /q/metrics"));
    }
}
