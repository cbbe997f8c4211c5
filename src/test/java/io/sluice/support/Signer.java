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

    /**
     * Signs raw bytes (bodies that are not valid UTF-8, which svix's String API cannot carry) with the JDK's HMAC;
     * {@code SignerTest} checks it agrees with svix on every UTF-8 body.
     */
    public static String signatureOfBytes(String secret, String webhookId, long timestamp, byte[] body) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            byte[] key = java.util.Base64.getDecoder().decode(secret.substring("whsec_".length()));
            mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
            mac.update((webhookId + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + java.util.Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Raw bytes to the dev partner, signed now with a fresh webhook-id. */
    public static RequestSpecification signedBytes(byte[] body, String contentType) {
        String webhookId = "msg_" + UUID.randomUUID();
        long timestamp = Instant.now().getEpochSecond();
        return given()
                .header("webhook-id", webhookId)
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", signatureOfBytes(DEV_SECRET, webhookId, timestamp, body))
                .contentType(contentType)
                .body(body);
    }
}
