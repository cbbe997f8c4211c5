package io.sluice.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.sluice.support.Db;
import io.sluice.support.Events;
import io.sluice.support.Signer;

/**
 * The packaged jar in the prod profile logs one JSON object per line; lines logged while answering a webhook carry
 * the partner and the batch (webhook-id) in {@code mdc}; neither the payload nor a secret is ever logged, even at
 * DEBUG.
 */
class ProdJsonLogsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN_TOKEN = "logs-it-admin-token-" + UUID.randomUUID();

    @Test
    void prodLogsAreJsonWithPartnerAndBatchContextAndNoPayload() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        List<String> lines = new CopyOnWriteArrayList<>();
        Process process = start(port, lines);
        try {
            HttpClient http = HttpClient.newHttpClient();
            await().atMost(Duration.ofSeconds(60)).until(() -> ready(http, port));

            String eventId = Events.freshId();
            String marker = "payload-marker-" + UUID.randomUUID();
            String body = """
                    {"event_id":"%s","event_type":"page_view","occurred_at":"2026-11-20T10:00:00Z",
                     "anonymous_id":"anon-logs","page":{"url":"https://shop.example/%s","title":"%s"}}"""
                    .formatted(eventId, marker, marker);
            String webhookId = "msg_" + UUID.randomUUID();
            Signer.signed(Signer.DEV_SECRET, webhookId, Instant.now().getEpochSecond(), body, "application/json")
                    .port(port).when().post("/v1/webhooks/dev").then().statusCode(202);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> Db.count("SELECT count(*) FROM silver.events WHERE event_id = ?", eventId) == 1);

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(json(lines))
                    .anySatisfy(line -> {
                        assertThat(line.path("mdc").path("partner").asText()).isEqualTo("dev");
                        assertThat(line.path("mdc").path("batch").asText()).isEqualTo(webhookId);
                    }));
            List<JsonNode> logged = json(lines);
            assertThat(logged).isNotEmpty().allSatisfy(line -> {
                assertThat(line.path("level").asText()).isNotBlank();
                assertThat(line.path("service").asText()).isEqualTo("sluice");
            });
            assertThat(String.join("\n", lines)).doesNotContain(marker)
                    .doesNotContain(Signer.DEV_SECRET.substring("whsec_".length()))
                    .doesNotContain(ADMIN_TOKEN);
        } finally {
            process.destroy();
            process.waitFor();
        }
    }

    private static Process start(int port, List<String> lines) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.http.port=" + port,
                "-Dmp.messaging.incoming.events.enabled=false",
                "-Dquarkus.log.category.\"io.sluice\".level=DEBUG",
                "-jar", "target/quarkus-app/quarkus-run.jar")
                .redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("QUARKUS_PROFILE", "prod");
        env.put("SLUICE_DB_NAME", env.getOrDefault("SLUICE_DB_TEST_NAME", "sluice_test"));
        env.put("SLUICE_PRIVACY_HASH_KEY", "logs-it-" + UUID.randomUUID());
        env.put("SLUICE_WEBHOOK_PARTNERS_DEV_SECRETS", Signer.DEV_SECRET);
        env.put("SLUICE_ADMIN_TOKENS_LOGS_TOKEN", ADMIN_TOKEN);
        env.put("SLUICE_KAFKA_DLQ", env.getOrDefault("SLUICE_KAFKA_TEST_DLQ", "sluice.test.events.dlq"));
        Process process = builder.start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "prod-log-reader");
        reader.setDaemon(true);
        reader.start();
        return process;
    }

    private static boolean ready(HttpClient http, int port) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/q/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Every line that is a log record (the JVM may print a banner line before logging starts). */
    private static List<JsonNode> json(List<String> lines) {
        return lines.stream().filter(line -> line.startsWith("{")).map(line -> {
            try {
                return JSON.readTree(line);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + line, e);
            }
        }).toList();
    }
}
