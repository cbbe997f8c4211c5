package io.sluice.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Meters;
import io.sluice.support.Signer;

/**
 * Overload ends in 503s, never in an out-of-memory: webhook bodies are admitted against a byte budget across all
 * requests before any byte is read (64 KiB and 3 requests here). A request that does not fit is answered 503
 * problem+json with Retry-After and Connection: close at once, its body never kept and nothing stored; the budget is
 * free again when the request holding it ends, and the refused delivery then lands. Holders are raw connections that
 * send their headers and keep their body back, so every state is reached without timing.
 */
@QuarkusTest
@TestProfile(WebhookMemoryBudgetTest.SmallBudget.class)
class WebhookMemoryBudgetTest {

    static final int BUDGET = 65536;

    public static class SmallBudget implements QuarkusTestProfile {

        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("sluice.webhook.max-buffered-bytes", Integer.toString(BUDGET),
                    "sluice.webhook.max-buffered-requests", "3",
                    "sluice.webhook.retry-after-seconds", "9",
                    "sluice.promotion.enabled", "false",
                    "mp.messaging.incoming.events.enabled", "false");
        }
    }

    @TestHTTPResource("/")
    URL server;

    private final List<Socket> holders = new ArrayList<>();

    @AfterEach
    void closeHolders() throws Exception {
        for (Socket holder : holders) {
            holder.close();
        }
        holders.clear();
        awaitBuffered(0);
    }

    @Test
    void aBodyThatDoesNotFitIs503AtOnceUnreadAndLandsOnceTheBudgetIsFree() throws Exception {
        hold(BUDGET - 100);
        double refusedBefore = refused();
        String eventId = Events.freshId();
        String body = "[" + Events.pageView(eventId) + "," + Events.pageView(Events.freshId()) + "]";
        String webhookId = "msg_" + UUID.randomUUID();
        long now = Instant.now().getEpochSecond();

        Signer.signed(Signer.DEV_SECRET, webhookId, now, body, "application/json").post("/v1/webhooks/dev").then()
                .statusCode(503)
                .header("Retry-After", "9")
                .header("Connection", "close")
                .contentType(startsWith("application/problem+json"))
                .body("type", equalTo("https://sluice.io/problems/unavailable"))
                .body("status", equalTo(503));
        assertThat(refused()).isEqualTo(refusedBefore + 1);
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", eventId)).isZero();

        closeHolders();
        // the partner retries the same delivery, signed as before
        Signer.signed(Signer.DEV_SECRET, webhookId, now, body, "application/json").post("/v1/webhooks/dev").then()
                .statusCode(202).body("accepted", equalTo(2));
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", eventId)).isEqualTo(1);
        awaitBuffered(0);
    }

    @Test
    void aChunkedBodyIsCountedAsItGrowsAndRefusedWhenItNoLongerFits() throws Exception {
        hold(BUDGET - 4096);
        String eventId = Events.freshId();
        String body = batch(eventId, 40); // about 8 KiB, no Content-Length
        String webhookId = "msg_" + UUID.randomUUID();
        long now = Instant.now().getEpochSecond();
        try (Socket socket = new Socket(server.getHost(), server.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/webhooks/" + Signer.DEV_PARTNER + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                    + "webhook-id: " + webhookId + "\r\nwebhook-timestamp: " + now + "\r\n"
                    + "webhook-signature: " + Signer.signature(Signer.DEV_SECRET, webhookId, now, body) + "\r\n\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            for (int at = 0; at < bytes.length; at += 1024) {
                int length = Math.min(1024, bytes.length - at);
                out.write((Integer.toHexString(length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(bytes, at, length);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 503 Service Unavailable");
            // the rest of the body went by unkept, then Sluice closed the connection (its answer said so)
            socket.setSoTimeout(30_000);
            while (in.readLine() != null) {
                // the answer's headers and problem body
            }
        }
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", eventId)).isZero();
        awaitBuffered(BUDGET - 4096);
    }

    @Test
    void aBodyLargerThanTheWholeBudgetGoesThroughAloneAndTheBudgetIsFreeAfterwards() {
        String eventId = Events.freshId();
        String body = batch(eventId, 400); // about 78 KiB
        assertThat(body.length()).isGreaterThan(BUDGET);
        Signer.post(body).then().statusCode(202).body("accepted", equalTo(400));
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", eventId)).isEqualTo(1);
        awaitBuffered(0);
        Signer.post(Events.pageView(Events.freshId())).then().statusCode(202);
    }

    @Test
    void moreRequestsThanTheRequestBoundAre503EvenWhenTheirBytesFit() throws Exception {
        for (int i = 0; i < 3; i++) {
            hold(10);
        }
        String eventId = Events.freshId();
        Signer.post(Events.pageView(eventId)).then().statusCode(503).header("Retry-After", "9");
        closeHolders();
        Signer.post(Events.pageView(eventId)).then().statusCode(202);
        assertThat(Db.count("SELECT count(*) FROM bronze.events WHERE event_id = ?", eventId)).isEqualTo(1);
    }

    /** A request that declares {@code length} bytes and sends none of them: it holds its share until closed. */
    private void hold(int length) throws Exception {
        long before = (long) buffered();
        Socket socket = new Socket(server.getHost(), server.getPort());
        holders.add(socket);
        socket.getOutputStream().write(("POST /v1/webhooks/" + Signer.DEV_PARTNER + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " + length + "\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        socket.getOutputStream().flush();
        awaitBuffered(before + length);
    }

    private static String batch(String firstId, int events) {
        return IntStream.range(0, events).mapToObj(i -> Events.pageView(i == 0 ? firstId : Events.freshId()))
                .collect(Collectors.joining(",", "[", "]"));
    }

    private static void awaitBuffered(long bytes) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> (long) buffered() == bytes);
    }

    private static double buffered() {
        return Meters.sum(Meters.scrape(), "sluice_webhook_buffered_bytes");
    }

    private static double refused() {
        return Meters.sum(Meters.scrape(), "sluice_webhook_refused_total", "partner=\"dev\"", "reason=\"memory\"");
    }
}
