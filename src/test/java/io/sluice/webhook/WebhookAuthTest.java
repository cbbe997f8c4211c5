package io.sluice.webhook;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Signer;

/**
 * Standard Webhooks authentication over HTTP, with requests signed by svix: every refusal is the same 401 problem and
 * stores nothing; rotation (two secrets) accepts either; the per-partner rate limit answers 429 with Retry-After.
 */
@QuarkusTest
class WebhookAuthTest {

    private static final String OTHER_SECRET = "whsec_" + Base64.getEncoder()
            .encodeToString("a-secret-sluice-does-not-know".getBytes(StandardCharsets.UTF_8));
    private static final String ROTATED_OLD = "whsec_c2x1aWNlLXRlc3Qtcm90YXRlZC1vbGQtc2VjcmV0";
    private static final String ROTATED_NEW = "whsec_c2x1aWNlLXRlc3Qtcm90YXRlZC1uZXctc2VjcmV0";
    private static final String LIMITED_SECRET = "whsec_c2x1aWNlLXRlc3QtbGltaXRlZC1zZWNyZXQ=";
    private static final String DISABLED_SECRET = "whsec_c2x1aWNlLXRlc3QtZGlzYWJsZWQtc2VjcmV0";

    @Test
    void wrongSecretIs401() {
        String eventId = Events.freshId();
        refused(send("dev", OTHER_SECRET, now(), Events.pageView(eventId)));
        assertNothingStored(eventId);
    }

    @Test
    void duringRotationEitherSecretIsAccepted() {
        String a = Events.freshId(), b = Events.freshId();

        send("rotated", ROTATED_OLD, now(), Events.pageView(a)).then().statusCode(202).body("accepted", equalTo(1));
        send("rotated", ROTATED_NEW, now(), Events.pageView(b)).then().statusCode(202).body("accepted", equalTo(1));
        refused(send("rotated", Signer.DEV_SECRET, now(), Events.pageView(Events.freshId())));

        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE source = 'rotated' AND event_id IN (?, ?)", a, b))
                .isEqualTo(2);
    }

    @Test
    void staleAndFutureTimestampsOutsideToleranceAre401AndInsideAreAccepted() {
        String stale = Events.freshId(), future = Events.freshId(), late = Events.freshId(), early = Events.freshId();

        refused(send("dev", Signer.DEV_SECRET, now() - 301, Events.pageView(stale)));
        refused(send("dev", Signer.DEV_SECRET, now() + 301, Events.pageView(future)));
        send("dev", Signer.DEV_SECRET, now() - 280, Events.pageView(late)).then().statusCode(202);
        send("dev", Signer.DEV_SECRET, now() + 280, Events.pageView(early)).then().statusCode(202);

        assertNothingStored(stale);
        assertNothingStored(future);
    }

    @Test
    void bodyChangedByOneByteIs401() {
        String eventId = Events.freshId();
        String body = Events.pageView(eventId);
        String webhookId = "msg_" + UUID.randomUUID();
        long ts = now();
        String signature = Signer.signature(Signer.DEV_SECRET, webhookId, ts, body);

        refused(given().header("webhook-id", webhookId).header("webhook-timestamp", Long.toString(ts))
                .header("webhook-signature", signature).contentType("application/json")
                .body(body.replace("Home", "Homf")).when().post("/v1/webhooks/dev"));
        refused(given().header("webhook-id", webhookId + "x").header("webhook-timestamp", Long.toString(ts))
                .header("webhook-signature", signature).contentType("application/json")
                .body(body).when().post("/v1/webhooks/dev"));

        assertNothingStored(eventId);
    }

    @Test
    void eachMissingHeaderIs401() {
        String eventId = Events.freshId();
        String body = Events.pageView(eventId);
        String webhookId = "msg_" + UUID.randomUUID();
        long ts = now();
        String signature = Signer.signature(Signer.DEV_SECRET, webhookId, ts, body);

        refused(given().header("webhook-timestamp", Long.toString(ts)).header("webhook-signature", signature)
                .contentType("application/json").body(body).when().post("/v1/webhooks/dev"));
        refused(given().header("webhook-id", webhookId).header("webhook-signature", signature)
                .contentType("application/json").body(body).when().post("/v1/webhooks/dev"));
        refused(given().header("webhook-id", webhookId).header("webhook-timestamp", Long.toString(ts))
                .contentType("application/json").body(body).when().post("/v1/webhooks/dev"));
        refused(given().contentType("application/json").body(body).when().post("/v1/webhooks/dev"));

        assertNothingStored(eventId);
    }

    @Test
    void severalSignaturesWithOneGoodAreAccepted() {
        String eventId = Events.freshId();
        String body = Events.pageView(eventId);
        String webhookId = "msg_" + UUID.randomUUID();
        long ts = now();
        String good = Signer.signature(Signer.DEV_SECRET, webhookId, ts, body);
        String bad = Signer.signature(OTHER_SECRET, webhookId, ts, body);

        given().header("webhook-id", webhookId).header("webhook-timestamp", Long.toString(ts))
                .header("webhook-signature", bad + " v2,bm90LWEtdjEtc2lnbmF0dXJl " + good + " v1,not-base64!")
                .contentType("application/json").body(body)
                .when().post("/v1/webhooks/dev")
                .then().statusCode(202).body("accepted", equalTo(1));
    }

    @Test
    void unknownAndDisabledPartnersLookLikeABadSignature() {
        String eventId = Events.freshId();
        String body = Events.pageView(eventId);

        String unknown = refused(send("nobody-" + UUID.randomUUID(), Signer.DEV_SECRET, now(), body));
        String disabled = refused(send("disabled", DISABLED_SECRET, now(), body));
        String badSignature = refused(send("dev", OTHER_SECRET, now(), body));

        assertThat(unknown).isEqualTo(badSignature).isEqualTo(disabled);
        assertNothingStored(eventId);
        given().header("Accept", "text/plain; version=0.0.4").when().get("/q/metrics").then()
                .body(org.hamcrest.Matchers.containsString(
                        "sluice_webhook_auth_failures_total{partner=\"dev\",reason=\"no_matching_signature\""));
    }

    @Test
    void partnerOverItsRateLimitGets429WithRetryAfter() {
        // limited allows 1 request/s: sending until refused needs no timing assumption
        Response[] refusal = new Response[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            Response response = send("limited", LIMITED_SECRET, now(), Events.pageView(Events.freshId()));
            assertThat(response.statusCode()).isIn(202, 429);
            refusal[0] = response;
            return response.statusCode() == 429;
        });

        refusal[0].then()
                .contentType(startsWith("application/problem+json"))
                .body("status", equalTo(429))
                .body("type", equalTo("https://sluice.io/problems/rate-limited"));
        assertThat(Integer.parseInt(refusal[0].header("Retry-After"))).isBetween(1, 2);
        // another partner is not affected
        send("dev", Signer.DEV_SECRET, now(), Events.pageView(Events.freshId())).then().statusCode(202);
        // and the limited one gets through again once its budget refills
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).until(() -> send("limited",
                LIMITED_SECRET, now(), Events.pageView(Events.freshId())).statusCode() == 202);
    }

    private static Response send(String partner, String secret, long timestamp, String body) {
        return Signer.signed(secret, "msg_" + UUID.randomUUID(), timestamp, body, "application/json")
                .when().post("/v1/webhooks/" + partner);
    }

    /** Asserts the one 401 problem and returns its body. */
    private static String refused(Response response) {
        return response.then()
                .statusCode(401)
                .contentType(startsWith("application/problem+json"))
                .body("type", equalTo("https://sluice.io/problems/unauthorized"))
                .body("title", equalTo("Unauthorized"))
                .body("status", equalTo(401))
                .body("detail", equalTo("The request could not be authenticated for this path."))
                .extract().asString();
    }

    private static void assertNothingStored(String eventId) {
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", eventId)).isZero();
        assertThat(Db.count("SELECT count(*) FROM bronze.rejected_events WHERE event_id = ?", eventId)).isZero();
    }

    private static long now() {
        return Instant.now().getEpochSecond();
    }
}
