package io.sluice.support;

import static io.restassured.RestAssured.given;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

import com.svix.Webhook;

import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;

/**
 * Signs webhook requests with svix's Standard Webhooks implementation (not ours), so tests prove the verifier
 * against what partners run.
 */
public final class Signer {

    /** The dev/test partner's secret, as configured in application.properties for %dev and %test. */
    public static final String DEV_SECRET = "whsec_c2x1aWNlLWRldi1zZWNyZXQtbm90LWZvci1wcm9k";
    public static final String DEV_PARTNER = "dev";

    private Signer() {
    }

    public static String signature(String secret, String webhookId, long timestamp, String body) {
        try {
            return new Webhook(secret).sign(webhookId, timestamp, body);
        } catch (Exception e) {
            throw new IllegalStateException("svix could not sign", e);
        }
    }

    /** A request to the dev partner, signed now with a fresh webhook-id. */
    public static RequestSpecification signed(String body, String contentType) {
        return signed(DEV_SECRET, "msg_" + UUID.randomUUID(), Instant.now().getEpochSecond(), body, contentType);
    }

    public static RequestSpecification signed(String secret, String webhookId, long timestamp, String body,
            String contentType) {
        return given()
                .header("webhook-id", webhookId)
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", signature(secret, webhookId, timestamp, body))
                .contentType(contentType)
                .body(body.getBytes(StandardCharsets.UTF_8));
    }

    public static Response post(String body) {
        return signed(body, "application/json").when().post("/v1/webhooks/" + DEV_PARTNER);
    }
}
