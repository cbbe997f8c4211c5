package io.sluice.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Signer;

/** The operator's write endpoints: requeue of quarantined events and replay of a bronze range, both promoted again. */
@QuarkusTest
class AdminRequeueReplayTest {

    static final String OPERATOR = "test-operator-token-not-for-prod";

    @Test
    void requeueMovesAQuarantinedEventBackAndItIsPromoted() {
        // a page view has no gold facts, so removing its silver row leaves the layers consistent, as if it had
        // never been promoted
        String eventId = landAndPromote();
        Db.execute("""
                INSERT INTO bronze.quarantine (bronze_id, received_at, event_id, attempts, error)
                SELECT id, received_at, event_id, 5, 'simulated failure' FROM bronze.events WHERE event_id = ?""",
                eventId);
        Db.execute("DELETE FROM silver.events WHERE event_id = ?", eventId);

        AdminApiTest.as(AdminApiTest.READER).when().post("/v1/admin/quarantine/requeue?event_id=" + eventId)
                .then().statusCode(403).contentType(startsWith("application/problem+json"));
        AdminApiTest.as(OPERATOR).when().post("/v1/admin/quarantine/requeue?event_id=" + eventId)
                .then().statusCode(200).body("requeued", equalTo(1));

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id = ?", eventId)).isEqualTo(1);
            assertThat(Db.count("SELECT count(*) FROM bronze.quarantine WHERE event_id = ?", eventId)).isZero();
        });
    }

    @Test
    void replayRePromotesABronzeRangeOfOneSource() {
        String eventId = landAndPromote();
        String from = (String) Db.rows("SELECT to_char((received_at - interval '1 second') AT TIME ZONE 'UTC', "
                + "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS t FROM bronze.events WHERE event_id = ?", eventId).get(0)
                .get("t");
        String to = (String) Db.rows("SELECT to_char((received_at + interval '1 second') AT TIME ZONE 'UTC', "
                + "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS t FROM bronze.events WHERE event_id = ?", eventId).get(0)
                .get("t");
        Object promotedAt = promotedAt(eventId);

        AdminApiTest.as(OPERATOR).when().post("/v1/admin/replay?from=" + to + "&to=" + from)
                .then().statusCode(400).contentType(startsWith("application/problem+json"));
        int requeued = AdminApiTest.as(OPERATOR)
                .when().post("/v1/admin/replay?from=" + from + "&to=" + to + "&source=" + Signer.DEV_PARTNER)
                .then().statusCode(200).extract().path("requeued");
        assertThat(requeued).isPositive();

        // the same delivery promoted again rewrites its silver row: promoted_at moves on, still one row
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(promotedAt(eventId))
                .isNotEqualTo(promotedAt));
        assertThat(Db.count("SELECT count(*) FROM silver.events WHERE event_id = ?", eventId)).isEqualTo(1);
    }

    private static Object promotedAt(String eventId) {
        return Db.rows("SELECT promoted_at FROM silver.events WHERE event_id = ?", eventId).get(0).get("promoted_at");
    }

    private static String landAndPromote() {
        String eventId = Events.freshId();
        Signer.post(Events.pageView(eventId)).then().statusCode(202);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                Db.count("SELECT count(*) FROM silver.events WHERE event_id = ?", eventId)).isEqualTo(1));
        return eventId;
    }
}
