package io.sluice.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.ProxiedDatabaseProfile;
import io.sluice.support.Signer;
import io.sluice.support.TcpProxy;

/**
 * 503 with Retry-After when PostgreSQL is down (cut by a proxy in front of it) and 202 again once it is back, without
 * restarting Sluice; 503 at once when the bounded write path is full (max-in-flight 1 here) instead of queueing.
 */
@QuarkusTest
@TestProfile(WebhookBackpressureTest.OneInFlight.class)
class WebhookBackpressureTest {

    /** PostgreSQL behind the cuttable proxy; one webhook request in flight; only the webhook door running. */
    public static class OneInFlight extends ProxiedDatabaseProfile {

        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> overrides = new HashMap<>(super.getConfigOverrides());
            overrides.put("sluice.webhook.max-in-flight", "1");
            overrides.put("sluice.webhook.retry-after-seconds", "7");
            overrides.put("sluice.promotion.enabled", "false");
            overrides.put("mp.messaging.incoming.events.enabled", "false");
            return overrides;
        }
    }

    @Test
    void databaseOutageIs503WithRetryAfterAndHealsWithoutRestart() throws Exception {
        Signer.post(Events.pageView(Events.freshId())).then().statusCode(202);
        String eventId = Events.freshId();
        String body = Events.pageView(eventId);
        String webhookId = "msg_" + UUID.randomUUID();

        TcpProxy.postgres().cut();
        try {
            send(webhookId, body).then()
                    .statusCode(503)
                    .header("Retry-After", "7")
                    .contentType(startsWith("application/problem+json"))
                    .body("type", equalTo("https://sluice.io/problems/unavailable"))
                    .body("status", equalTo(503));
            send("msg_" + UUID.randomUUID(), body).then().statusCode(503).header("Retry-After", "7");
            // an unreadable body is the sender's problem whether or not PostgreSQL is up
            send("msg_" + UUID.randomUUID(), "{\"event_id\":").then().statusCode(400)
                    .contentType(startsWith("application/problem+json"));
            assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", eventId)).isZero();
        } finally {
            TcpProxy.postgres().restore();
        }

        // the partner retries the same delivery until it is taken
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> send(webhookId, body).statusCode() == 202);
        send(webhookId, body).then().statusCode(202).body("accepted", equalTo(1));
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", eventId)).isEqualTo(1);
    }

    @Test
    void fullWritePathIs503AtOnceAndFreesItsSlotAfterwards() throws Exception {
        String slowEvent = Events.freshId(), refusedEvent = Events.freshId();
        String slowWebhookId = "msg_" + UUID.randomUUID();
        CompletableFuture<Response> slow;
        try (Connection blocker = Db.connect()) {
            // holds the webhook-id's claim row uncommitted: the request that claims it waits on PostgreSQL's lock
            blocker.setAutoCommit(false);
            try (var insert = blocker.prepareStatement("""
                    INSERT INTO bronze.webhook_deliveries (partner, webhook_id, status, response)
                    VALUES ('dev', ?, 0, 'null')""")) {
                insert.setString(1, slowWebhookId);
                insert.executeUpdate();
            }
            slow = CompletableFuture.supplyAsync(() -> send(slowWebhookId, Events.pageView(slowEvent)));
            await().atMost(Duration.ofSeconds(30)).until(() -> Db.count("""
                    SELECT count(*) FROM pg_stat_activity
                    WHERE datname = current_database() AND wait_event_type = 'Lock'
                      AND query LIKE '%webhook_deliveries%'""") > 0);

            send("msg_" + UUID.randomUUID(), Events.pageView(refusedEvent)).then()
                    .statusCode(503)
                    .header("Retry-After", "7")
                    .contentType(startsWith("application/problem+json"))
                    .body("detail", containsString("Too many requests"));

            blocker.rollback();
        }

        slow.get().then().statusCode(202).body("accepted", equalTo(1));
        Signer.post(Events.pageView(refusedEvent)).then().statusCode(202).body("accepted", equalTo(1));
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id IN (?, ?)", slowEvent, refusedEvent))
                .isEqualTo(2);
    }

    private static Response send(String webhookId, String body) {
        return Signer.signed(Signer.DEV_SECRET, webhookId, Instant.now().getEpochSecond(), body, "application/json")
                .when().post("/v1/webhooks/dev");
    }
}
