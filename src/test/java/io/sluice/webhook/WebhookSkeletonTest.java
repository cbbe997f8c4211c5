package io.sluice.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Signer;

/** One signed event over HTTP lands in bronze, then in silver; a bad signature stores nothing. */
@QuarkusTest
class WebhookSkeletonTest {

    @Test
    void signedEventLandsInBronzeThenSilver() {
        String eventId = Events.freshId();

        Signer.post(Events.purchase(eventId, "SKU-W1", 2, "4.25"))
                .then()
                .statusCode(202)
                .body("accepted", equalTo(1))
                .body("duplicates", equalTo(0))
                .body("rejected.size()", equalTo(0));

        Map<String, Object> bronze = Db.rows(
                "SELECT channel, source, event_type, payload->>'coupon' AS coupon FROM bronze.events WHERE event_id = ?",
                eventId).get(0);
        assertThat(bronze).containsEntry("channel", "webhook").containsEntry("source", "dev")
                .containsEntry("event_type", "purchase").containsEntry("coupon", "WINTER");

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(Db.rows(
                "SELECT order_total::text AS total, attributes->>'coupon' AS coupon, ip_hash FROM silver.events WHERE event_id = ?",
                eventId)).singleElement().satisfies(row -> {
                    assertThat(row).containsEntry("total", "8.50").containsEntry("coupon", "WINTER");
                    assertThat((String) row.get("ip_hash")).hasSize(64).isNotEqualTo("203.0.113.7");
                }));
        assertThat(Db.count("SELECT count(*) FROM silver.order_items WHERE event_id = ? AND quantity = 2", eventId))
                .isEqualTo(1);
    }

    @Test
    void wrongSignatureIsRefusedAndStoresNothing() {
        String eventId = Events.freshId();
        String otherSecret = "whsec_" + java.util.Base64.getEncoder().encodeToString("another-secret".getBytes());

        Signer.signed(otherSecret, "msg_" + eventId, Instant.now().getEpochSecond(), Events.pageView(eventId),
                "application/json")
                .when().post("/v1/webhooks/dev")
                .then()
                .statusCode(401)
                .contentType(startsWith("application/problem+json"))
                .body("status", equalTo(401))
                .body("title", equalTo("Unauthorized"));

        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", eventId)).isZero();
        assertThat(Db.count("SELECT count(*) FROM bronze.rejected_events WHERE event_id = ?", eventId)).isZero();
    }
}
